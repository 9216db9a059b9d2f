using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>
/// A small OpenAI-compatible chat completions server on 127.0.0.1 for tests: it answers
/// <c>POST /v1/chat/completions</c> (plain JSON, or server-sent events when the request says <c>"stream": true</c>)
/// from a script of replies given in order, one per request, and injects faults where the script says so
/// (HTTP 429 with Retry-After, HTTP 500, a malformed body, a dropped connection). Every request it receives is kept.
/// </summary>
/// <remarks>
/// Point the real client at <see cref="BaseUrl"/>:
/// <c>new OpenAI.Chat.ChatClient(model, new ApiKeyCredential("test"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl) }).AsIChatClient()</c>.
/// A request that finds the script empty gets HTTP 400 (which no client retries) with a message saying so, so a test
/// that makes more requests than it scripted fails at once instead of hanging. Requests are served one at a time, in
/// the order they arrive. Disposing stops the listener; nothing listens beyond loopback.
/// It runs on Kestrel (the shared framework's Microsoft.AspNetCore.App) rather than HttpListener, whose managed
/// implementation answers an aborted response with an empty HTTP 200 instead of dropping the connection.
/// </remarks>
internal sealed class OpenAICompatibleServer : IAsyncDisposable
{
    /// <summary>The fixed <c>created</c> timestamp of every answer, so that answers are the same from run to run.</summary>
    public const long Created = 1_700_000_000;

    private readonly object _gate = new();
    private readonly Queue<Reply> _script = new();
    private readonly List<ReceivedRequest> _requests = [];
    private readonly List<Exception> _errors = [];
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private WebApplication? _app;

    private OpenAICompatibleServer()
    {
    }

    /// <summary>Gets the port the server listens on, on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>Gets the endpoint to give an OpenAI client, ending in <c>/v1</c>.</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/v1";

    /// <summary>Gets the requests received so far, in order, faults included.</summary>
    public IReadOnlyList<ReceivedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets the replies not yet served.</summary>
    public int RemainingCount
    {
        get
        {
            lock (_gate)
            {
                return _script.Count;
            }
        }
    }

    /// <summary>Gets the exceptions the server met while answering (a client that hung up mid-stream, say): a test can assert there were none.</summary>
    public IReadOnlyList<Exception> Errors
    {
        get
        {
            lock (_gate)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>Starts a server on a free port of 127.0.0.1.</summary>
    public static async Task<OpenAICompatibleServer> StartAsync()
    {
        var server = new OpenAICompatibleServer();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();

        // Port 0: Kestrel takes a free port itself, so parallel tests never race for one.
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        app.Run(server.ServeAsync);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        server._app = app;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.Port = new Uri(address).Port;
        return server;
    }

    /// <summary>Adds replies to the end of the script.</summary>
    public OpenAICompatibleServer Enqueue(params Reply[] replies)
    {
        lock (_gate)
        {
            foreach (Reply reply in replies)
            {
                _script.Enqueue(reply);
            }
        }

        return this;
    }

    /// <summary>Stops listening; requests in flight are cut off.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            // A zero timeout: a test is over, nothing in flight needs to finish.
            using (var stop = new CancellationTokenSource(TimeSpan.Zero))
            {
                await _app.StopAsync(stop.Token);
            }

            await _app.DisposeAsync();
        }

        // _oneAtATime is not disposed: a request cut off by the stop may still release it, and it holds no handle.
    }

    private async Task ServeAsync(HttpContext context)
    {
        // One request at a time, so that replies go out in the order requests arrive, as the script expects.
        await _oneAtATime.WaitAsync(context.RequestAborted);
        try
        {
            await AnswerAsync(context);
        }
        catch (Exception e)
        {
            Record(e);

            // HTTP 400, which no client retries: a fault of this server must fail the test, not look like a 500 to retry.
            if (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                await WriteErrorAsync(context.Response, 400, $"OpenAICompatibleServer failed: {e}", "test_server_error");
            }
            else
            {
                context.Abort();
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private void Record(Exception e)
    {
        lock (_gate)
        {
            _errors.Add(e);
        }
    }

    private async Task AnswerAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        JsonNode? json = null;
        try
        {
            json = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            // Kept as text; the reply below says the body is not JSON.
        }

        bool streaming = json?["stream"]?.GetValueKind() == JsonValueKind.True;
        bool includeUsage = json?["stream_options"]?["include_usage"]?.GetValueKind() == JsonValueKind.True;
        string model = json?["model"]?.GetValueKind() == JsonValueKind.String ? json["model"]!.GetValue<string>() : "unknown-model";

        string path = request.Path.Value ?? string.Empty;
        bool served = request.Method == "POST" && path == "/v1/chat/completions" && json is not null;
        Reply? reply = null;
        ReceivedRequest received;
        lock (_gate)
        {
            // A request the server cannot serve does not use up a scripted reply.
            if (served)
            {
                _script.TryDequeue(out reply);
            }

            received = new ReceivedRequest(_requests.Count + 1, request.Method, path, request.Headers.Authorization.ToString(), body, streaming, reply?.Kind);
            _requests.Add(received);
        }

        HttpResponse response = context.Response;
        if (request.Method != "POST" || path != "/v1/chat/completions")
        {
            await WriteErrorAsync(response, 404, $"OpenAICompatibleServer serves POST /v1/chat/completions only, not {request.Method} {path}.", "not_found");
            return;
        }

        if (json is null)
        {
            await WriteErrorAsync(response, 400, "OpenAICompatibleServer: the request body is not JSON.", "invalid_request_error");
            return;
        }

        if (reply is null)
        {
            await WriteErrorAsync(
                response,
                400,
                $"OpenAICompatibleServer has no scripted reply for request {received.Number}: every scripted reply was served. Enqueue more replies.",
                "invalid_request_error");
            return;
        }

        string id = "chatcmpl-" + received.Number.ToString(CultureInfo.InvariantCulture);
        switch (reply.Kind)
        {
            case ReplyKind.Status:
                if (reply.RetryAfter is not null)
                {
                    response.Headers.RetryAfter = reply.RetryAfter;
                }

                await WriteErrorAsync(response, reply.StatusCode, reply.Text ?? $"scripted HTTP {reply.StatusCode}", reply.StatusCode == 429 ? "rate_limit_exceeded" : "server_error");
                return;
            case ReplyKind.DropConnection:
                // No status line, no body: the connection is reset under the client, as when a proxy or server dies.
                context.Abort();
                return;
            case ReplyKind.MalformedBody when !streaming:
                await WriteAsync(response, 200, "application/json", "{\"id\": \"" + id + "\", \"object\": \"chat.completion\", \"choices\": [ {\"index\": 0, \"message\": ");
                return;
            case ReplyKind.MalformedBody:
                response.StatusCode = 200;
                response.ContentType = "text/event-stream";
                await WriteEventAsync(response, Chunk(id, model, new JsonObject { ["role"] = "assistant", ["content"] = "Hel" }, finishReason: null));
                await WriteRawEventAsync(response, "{\"id\": \"" + id + "\", \"choices\": [ {\"delta\": {\"content\": ");
                await WriteRawEventAsync(response, "[DONE]");
                return;
            default:
                if (streaming)
                {
                    await StreamAsync(response, id, model, reply, includeUsage);
                }
                else
                {
                    await WriteAsync(response, 200, "application/json", Completion(id, model, reply).ToJsonString());
                }

                return;
        }
    }

    private static JsonObject Completion(string id, string model, Reply reply)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = reply.Text };
        if (reply.ToolCalls.Count > 0)
        {
            var calls = new JsonArray();
            foreach (ToolCall call in reply.ToolCalls)
            {
                calls.Add(new JsonObject
                {
                    ["id"] = call.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
                });
            }

            message["tool_calls"] = calls;
        }

        return new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = Created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = reply.FinishReason }),
            ["usage"] = Usage(reply),
        };
    }

    private static async Task StreamAsync(HttpResponse response, string id, string model, Reply reply, bool includeUsage)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        await WriteEventAsync(response, Chunk(id, model, new JsonObject { ["role"] = "assistant", ["content"] = string.Empty }, finishReason: null));
        foreach (string piece in Pieces(reply.Text ?? string.Empty))
        {
            await WriteEventAsync(response, Chunk(id, model, new JsonObject { ["content"] = piece }, finishReason: null));
        }

        for (int i = 0; i < reply.ToolCalls.Count; i++)
        {
            ToolCall call = reply.ToolCalls[i];
            await WriteEventAsync(response, Chunk(id, model, ToolCallDelta(i, new JsonObject { ["name"] = call.Name, ["arguments"] = string.Empty }, call.Id), finishReason: null));

            // Arguments arrive in fragments, as from a real model: the client must join them.
            int half = call.ArgumentsJson.Length / 2;
            foreach (string fragment in new[] { call.ArgumentsJson[..half], call.ArgumentsJson[half..] })
            {
                await WriteEventAsync(response, Chunk(id, model, ToolCallDelta(i, new JsonObject { ["arguments"] = fragment }, id: null), finishReason: null));
            }
        }

        await WriteEventAsync(response, Chunk(id, model, new JsonObject(), reply.FinishReason));
        if (includeUsage)
        {
            JsonObject usage = Chunk(id, model, delta: null, finishReason: null);
            usage["choices"] = new JsonArray();
            usage["usage"] = Usage(reply);
            await WriteEventAsync(response, usage);
        }

        await WriteRawEventAsync(response, "[DONE]");
    }

    private static JsonObject ToolCallDelta(int index, JsonObject function, string? id)
    {
        var call = new JsonObject { ["index"] = index };
        if (id is not null)
        {
            call["id"] = id;
            call["type"] = "function";
        }

        call["function"] = function;
        return new JsonObject { ["tool_calls"] = new JsonArray(call) };
    }

    private static JsonObject Chunk(string id, string model, JsonObject? delta, string? finishReason)
    {
        var chunk = new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = Created,
            ["model"] = model,
        };
        if (delta is not null)
        {
            chunk["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason });
        }

        return chunk;
    }

    private static JsonObject? Usage(Reply reply) => reply.PromptTokens is null ? null : new JsonObject
    {
        ["prompt_tokens"] = reply.PromptTokens,
        ["completion_tokens"] = reply.CompletionTokens,
        ["total_tokens"] = reply.PromptTokens + reply.CompletionTokens,
    };

    /// <summary>Splits a text into word-sized pieces (spaces kept), so that a streamed answer arrives in several deltas.</summary>
    private static IEnumerable<string> Pieces(string text)
    {
        int start = 0;
        for (int i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                yield return text[start..i];
                start = i;
            }
        }
    }

    private static Task WriteErrorAsync(HttpResponse response, int status, string message, string code) =>
        WriteAsync(response, status, "application/json", new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = code, ["param"] = null, ["code"] = code },
        }.ToJsonString());

    private static async Task WriteAsync(HttpResponse response, int status, string contentType, string body)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes);
    }

    private static Task WriteEventAsync(HttpResponse response, JsonObject data) => WriteRawEventAsync(response, data.ToJsonString());

    private static async Task WriteRawEventAsync(HttpResponse response, string data)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes("data: " + data + "\n\n"));
        await response.Body.FlushAsync();
    }

    /// <summary>What a scripted reply does.</summary>
    public enum ReplyKind
    {
        /// <summary>An answer with text, tool calls or both.</summary>
        Answer,

        /// <summary>An HTTP error status with an OpenAI-style error body.</summary>
        Status,

        /// <summary>HTTP 200 whose body (or, when streaming, one event) is cut-off JSON.</summary>
        MalformedBody,

        /// <summary>The connection closed without any response.</summary>
        DropConnection,
    }

    /// <summary>A tool call in a scripted answer; <paramref name="ArgumentsJson"/> is sent as the model would, a JSON text.</summary>
    public sealed record ToolCall(string Id, string Name, string ArgumentsJson);

    /// <summary>One scripted reply: an answer or a fault.</summary>
    public sealed record Reply
    {
        private Reply(ReplyKind kind) => Kind = kind;

        public ReplyKind Kind { get; }

        public string? Text { get; private init; }

        public IReadOnlyList<ToolCall> ToolCalls { get; private init; } = [];

        public int? PromptTokens { get; private init; }

        public int? CompletionTokens { get; private init; }

        public int StatusCode { get; private init; } = 200;

        public string? RetryAfter { get; private init; }

        public string FinishReason => ToolCalls.Count > 0 ? "tool_calls" : "stop";

        /// <summary>A text answer with usage (null token counts leave usage out).</summary>
        public static Reply Answer(string text, int? promptTokens = 10, int? completionTokens = 5) =>
            new(ReplyKind.Answer) { Text = text, PromptTokens = promptTokens, CompletionTokens = completionTokens };

        /// <summary>An answer that calls tools, with usage.</summary>
        public static Reply Calls(IReadOnlyList<ToolCall> calls, int? promptTokens = 20, int? completionTokens = 8) =>
            new(ReplyKind.Answer) { ToolCalls = calls, PromptTokens = promptTokens, CompletionTokens = completionTokens };

        /// <summary>An answer that calls one tool.</summary>
        public static Reply Call(string id, string name, string argumentsJson) => Calls([new ToolCall(id, name, argumentsJson)]);

        /// <summary>HTTP 429 with a <c>Retry-After</c> header in seconds.</summary>
        public static Reply TooManyRequests(int retryAfterSeconds = 0) =>
            new(ReplyKind.Status) { StatusCode = 429, RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture), Text = "Rate limit reached (scripted)." };

        /// <summary>HTTP 500.</summary>
        public static Reply ServerError() => new(ReplyKind.Status) { StatusCode = 500, Text = "The server had an error (scripted)." };

        /// <summary>Any HTTP error status with an OpenAI-style error body.</summary>
        public static Reply Status(int statusCode, string message) => new(ReplyKind.Status) { StatusCode = statusCode, Text = message };

        /// <summary>HTTP 200 with cut-off JSON.</summary>
        public static Reply MalformedBody() => new(ReplyKind.MalformedBody);

        /// <summary>The connection closes without a response.</summary>
        public static Reply DropConnection() => new(ReplyKind.DropConnection);
    }

    /// <summary>A request the server received.</summary>
    public sealed record ReceivedRequest(int Number, string Method, string Path, string? Authorization, string Body, bool Streaming, ReplyKind? ServedWith)
    {
        /// <summary>The body parsed as JSON.</summary>
        public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException($"request {Number}'s body is JSON null");
    }
}
