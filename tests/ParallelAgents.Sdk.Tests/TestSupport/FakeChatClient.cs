using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>
/// A hand-written chat client that answers from a script: each step sees the request and returns a response. Every
/// request is kept (a copy of its messages), so tests can read the tool results the agent sent back.
/// </summary>
internal sealed class FakeChatClient : IChatClient
{
    private readonly Queue<Func<IReadOnlyList<ChatMessage>, ChatOptions?, ChatResponse>> _steps = new();
    private int _callIds;

    public List<(List<ChatMessage> Messages, ChatOptions? Options, bool Streaming)> Requests { get; } = [];

    public bool Disposed { get; private set; }

    public int Remaining => _steps.Count;

    public FakeChatClient Then(Func<IReadOnlyList<ChatMessage>, ChatOptions?, ChatResponse> step)
    {
        _steps.Enqueue(step);
        return this;
    }

    /// <summary>The model calls one tool.</summary>
    public FakeChatClient Call(string name, object? arguments = null, int inputTokens = 10, int outputTokens = 5) =>
        Then((_, _) => Respond(new ChatMessage(ChatRole.Assistant, [Function(name, arguments)]), inputTokens, outputTokens));

    /// <summary>The model calls a tool with argument text that is not valid JSON, as a provider's parser reports it.</summary>
    public FakeChatClient CallWithRawArguments(string name, string rawArguments) =>
        Then((_, _) => Respond(new ChatMessage(ChatRole.Assistant,
            [FunctionCallContent.CreateFromParsedArguments(rawArguments, NextId(), name,
                json => JsonSerializer.Deserialize<Dictionary<string, object?>>(json))]), 10, 5));

    /// <summary>The model answers with text and no tool calls.</summary>
    public FakeChatClient Text(string text, int inputTokens = 10, int outputTokens = 5) =>
        Then((_, _) => Respond(new ChatMessage(ChatRole.Assistant, text), inputTokens, outputTokens));

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        Requests.Add((list, options, false));
        return Task.FromResult(Next(list, options));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        Requests.Add((list, options, true));
        ChatResponse response = Next(list, options);
        await Task.Yield();
        foreach (ChatResponseUpdate update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", null, "fake-model") : null;

    public void Dispose() => Disposed = true;

    /// <summary>The result the agent sent back for the tool call of request <paramref name="request"/>'s last tool call.</summary>
    public string ToolResult(int request)
    {
        FunctionResultContent result = Requests[request].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Last();
        return result.Result?.ToString() ?? "";
    }

    public FunctionCallContent Function(string name, object? arguments) =>
        new(NextId(), name, arguments is null ? null : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(arguments)));

    public static ChatResponse Respond(ChatMessage message, int inputTokens, int outputTokens) =>
        new(message) { Usage = new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens }, ModelId = "fake-model" };

    private string NextId() => $"call-{Interlocked.Increment(ref _callIds)}";

    private ChatResponse Next(List<ChatMessage> messages, ChatOptions? options)
    {
        if (!_steps.TryDequeue(out var step))
        {
            throw new InvalidOperationException($"The fake chat client's script ran out at request {Requests.Count}.");
        }

        return step(messages, options);
    }
}
