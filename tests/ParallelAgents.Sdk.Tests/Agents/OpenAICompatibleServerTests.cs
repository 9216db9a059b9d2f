using System.ClientModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using OpenAI;
using ParallelAgents.Sdk.Tests.TestSupport;
using Reply = ParallelAgents.Sdk.Tests.TestSupport.OpenAICompatibleServer.Reply;

namespace ParallelAgents.Sdk.Tests.Agents;

/// <summary>
/// The loopback server against the real Microsoft.Extensions.AI.OpenAI client (OpenAI 2.x over System.ClientModel),
/// so that what the agent's end-to-end tests rely on is itself proven: answers, tool calls, streaming, usage, and
/// the client's own handling of 429, 500, a malformed body and a dropped connection.
/// </summary>
/// <remarks>
/// OpenAI 2.x's default pipeline (System.ClientModel's <c>ClientRetryPolicy</c>) retries up to 3 times, on HTTP 408,
/// 429, 500, 502, 503 and 504 and on a failed connection, and waits as a 429's Retry-After header says; a 200 with a
/// body it cannot parse is not retried and surfaces as a <see cref="JsonException"/>. An agent needs no retry loop of
/// its own for these, and must treat a JsonException from the client as a failed attempt.
/// </remarks>
public sealed class OpenAICompatibleServerTests
{
    private const string Model = "test-model";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static IChatClient CreateClient(OpenAICompatibleServer server) =>
        new OpenAI.Chat.ChatClient(Model, new ApiKeyCredential("test"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl) }).AsIChatClient();

    [Fact]
    public async Task GetResponseAsync_PlainAnswer_ReturnsTextUsageAndModel()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(Reply.Answer("Hello from loopback.", promptTokens: 12, completionTokens: 4));
        using IChatClient client = CreateClient(server);

        ChatResponse response = await client.GetResponseAsync("Say hello.", cancellationToken: Token);

        Assert.Equal("Hello from loopback.", response.Text);
        Assert.Equal(12, response.Usage?.InputTokenCount);
        Assert.Equal(4, response.Usage?.OutputTokenCount);
        Assert.Equal(16, response.Usage?.TotalTokenCount);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(Model, response.ModelId);
        OpenAICompatibleServer.ReceivedRequest request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer test", request.Authorization);
        Assert.False(request.Streaming);
        Assert.Equal(Model, request.Json["model"]!.GetValue<string>());
        Assert.Equal("user", request.Json["messages"]![0]!["role"]!.GetValue<string>());
        Assert.Equal("Say hello.", ContentText(request.Json["messages"]![0]!));
        Assert.StartsWith("http://127.0.0.1:", server.BaseUrl, StringComparison.Ordinal);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task GetResponseAsync_ToolCallThroughFunctionInvocation_InvokesTheToolAndSendsItsResultBack()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(Reply.Call("call_abc", "add", """{"a":2,"b":3}"""), Reply.Answer("2 + 3 = 5"));
        int calls = 0;
        AIFunction add = AIFunctionFactory.Create((int a, int b) => { calls++; return a + b; }, "add", "Adds two integers.");
        using IChatClient client = new ChatClientBuilder(CreateClient(server)).UseFunctionInvocation().Build();

        ChatResponse response = await client.GetResponseAsync("What is 2 + 3?", new ChatOptions { Tools = [add] }, Token);

        Assert.Equal("2 + 3 = 5", response.Text);
        Assert.Equal(1, calls);
        Assert.Equal(2, server.Requests.Count);
        JsonNode first = server.Requests[0].Json;
        Assert.Equal("add", first["tools"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal("integer", first["tools"]![0]!["function"]!["parameters"]!["properties"]!["a"]!["type"]!.GetValue<string>());
        JsonArray messages = server.Requests[1].Json["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "tool"], messages.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("call_abc", messages[1]!["tool_calls"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("call_abc", messages[2]!["tool_call_id"]!.GetValue<string>());
        Assert.Equal("5", ContentText(messages[2]!));
        Assert.Equal(28 + 15, response.Usage?.TotalTokenCount);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_TextAndToolCallDeltas_AreJoinedWithUsage()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(
            Reply.Call("call_s1", "add", """{"a":40,"b":2}"""),
            Reply.Answer("The answer is 42.", promptTokens: 30, completionTokens: 6));
        int calls = 0;
        AIFunction add = AIFunctionFactory.Create((int a, int b) => { calls++; return a + b; }, "add");
        using IChatClient client = new ChatClientBuilder(CreateClient(server)).UseFunctionInvocation().Build();

        List<ChatResponseUpdate> updates = await client.GetStreamingResponseAsync("What is 40 + 2?", new ChatOptions { Tools = [add] }, Token).ToListAsync(Token);
        ChatResponse response = updates.ToChatResponse();

        Assert.Equal(1, calls);
        Assert.True(updates.Count(u => !string.IsNullOrEmpty(u.Text)) > 1, "the text should arrive in several deltas");
        Assert.Equal("The answer is 42.", response.Messages[^1].Text);
        Assert.Contains(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>(), c => c.CallId == "call_s1" && c.Name == "add");
        Assert.All(server.Requests, r => Assert.True(r.Streaming));
        Assert.True(server.Requests[0].Json["stream_options"]?["include_usage"]?.GetValue<bool>(), "the client asks for usage when streaming");
        Assert.Equal(28 + 36, response.Usage?.TotalTokenCount);
        Assert.Equal("42", ContentText(server.Requests[1].Json["messages"]![2]!));
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task GetResponseAsync_TooManyRequestsThenAnswer_IsRetriedByTheClientsOwnPolicy()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(Reply.TooManyRequests(retryAfterSeconds: 0), Reply.Answer("after the rate limit"));
        using IChatClient client = CreateClient(server);

        ChatResponse response = await client.GetResponseAsync("hi", cancellationToken: Token);

        Assert.Equal("after the rate limit", response.Text);
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(server.Requests[0].Body, server.Requests[1].Body);
    }

    [Fact]
    public async Task GetResponseAsync_ServerErrorThenAnswer_IsRetriedByTheClientsOwnPolicy()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(Reply.ServerError(), Reply.Answer("after the outage"));
        using IChatClient client = CreateClient(server);

        ChatResponse response = await client.GetResponseAsync("hi", cancellationToken: Token);

        Assert.Equal("after the outage", response.Text);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task GetResponseAsync_DroppedConnectionThenAnswer_IsRetriedByTheClientsOwnPolicy()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(Reply.DropConnection(), Reply.Answer("after the drop"));
        using IChatClient client = CreateClient(server);

        ChatResponse response = await client.GetResponseAsync("hi", cancellationToken: Token);

        Assert.Equal("after the drop", response.Text);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task GetResponseAsync_PersistentServerError_FailsAfterTheClientsRetriesWithTheStatus()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(Reply.ServerError(), Reply.ServerError(), Reply.ServerError(), Reply.ServerError(), Reply.Answer("never reached"));
        using IChatClient client = CreateClient(server);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hi", cancellationToken: Token));

        Assert.Equal(500, error.Status);
        Assert.Equal(4, server.Requests.Count);
        Assert.Equal(1, server.RemainingCount);
    }

    [Fact]
    public async Task GetResponseAsync_MalformedBody_ThrowsAJsonExceptionWithoutRetrying()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(Reply.MalformedBody(), Reply.Answer("not asked for"));
        using IChatClient client = CreateClient(server);

        await Assert.ThrowsAnyAsync<JsonException>(() => client.GetResponseAsync("hi", cancellationToken: Token));

        Assert.Single(server.Requests);
        Assert.Equal(1, server.RemainingCount);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_MalformedEvent_ThrowsAJsonExceptionAfterTheGoodDeltas()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(Reply.MalformedBody());
        using IChatClient client = CreateClient(server);
        var received = new List<string>();

        await Assert.ThrowsAnyAsync<JsonException>(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync("hi", cancellationToken: Token))
            {
                received.Add(update.Text);
            }
        });

        Assert.Equal("Hel", string.Concat(received));
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task GetResponseAsync_ScriptExhausted_FailsAtOnceWithTheServersMessage()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        using IChatClient client = CreateClient(server);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hi", cancellationToken: Token));

        Assert.Equal(400, error.Status);
        Assert.Contains("no scripted reply for request 1", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task DisposeAsync_RunningServer_StopsListening()
    {
        var server = await OpenAICompatibleServer.StartAsync();
        string url = server.BaseUrl + "/chat/completions";

        await server.DisposeAsync();

        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync(url, new StringContent("{}"), Token));
    }

    private static string ContentText(JsonNode message)
    {
        JsonNode content = message["content"]!;
        return content is JsonArray parts
            ? string.Concat(parts.Select(p => p!["text"]?.GetValue<string>()))
            : content.GetValue<string>();
    }
}
