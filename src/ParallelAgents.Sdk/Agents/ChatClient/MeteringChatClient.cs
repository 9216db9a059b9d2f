using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>
/// Sits between the function-invoking client and the user's client, so that it sees every single model call: it
/// enforces the turn and token budgets before each call, records usage and cost after it, and writes the model's
/// messages to the transcript. It hands the tools on as declarations only, so that a client which already invokes
/// functions (one registered with <c>UseFunctionInvocation()</c>) returns the model's tool calls instead of running
/// them itself, past the agent's invoker, its budgets and its policies. It is never disposed: disposing it would dispose the user's client, which serves every
/// attempt and is theirs to dispose.
/// </summary>
internal sealed class MeteringChatClient(IChatClient inner, AttemptState state, bool countsAsTurn) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        state.BeforeModelCall(countsAsTurn);
        long started = state.Time.GetTimestamp();
        ChatResponse response = await base.GetResponseAsync(messages, DeclarationsOnly(options), cancellationToken).ConfigureAwait(false);
        Record(response, options, state.Time.GetElapsedTime(started));
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        state.BeforeModelCall(countsAsTurn);
        long started = state.Time.GetTimestamp();
        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in base.GetStreamingResponseAsync(messages, DeclarationsOnly(options), cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
            yield return update;
        }

        // ToChatResponse gathers the stream's UsageContent into Usage, as a non-streaming response would carry it.
        // The call lasts until its last update arrived (the caller's time between updates included, as a user sees it).
        Record(updates.ToChatResponse(), options, state.Time.GetElapsedTime(started));
    }

    /// <summary>The options with every invocable tool replaced by its declaration (same name, description and schema):
    /// a function-invoking client inside the user's pipeline ends its loop at a call to a tool it cannot invoke.</summary>
    private static ChatOptions? DeclarationsOnly(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools || !tools.Any(t => t is AIFunction))
        {
            return options;
        }

        ChatOptions copy = options.Clone();
        copy.Tools = [.. tools.Select(t => t is AIFunction function ? function.AsDeclarationOnly() : t)];
        return copy;
    }

    private void Record(ChatResponse response, ChatOptions? options, TimeSpan duration)
    {
        foreach (ChatMessage message in response.Messages)
        {
            state.Transcript.Message(message);
        }

        state.RecordUsage(response.Usage, response.ModelId ?? options?.ModelId, duration);
    }
}
