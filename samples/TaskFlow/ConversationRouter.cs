using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TaskFlow;

/// <summary>
/// The one chat client the engine gives every agent, routing each request to the client of its conversation
/// (<see cref="ConversationKey"/>): a cassette player per conversation offline, a recorder per conversation with
/// <c>--record</c>, the live model as it is otherwise. It also reports every answer, for the run's live log.
/// </summary>
public sealed class ConversationRouter : IChatClient
{
    private readonly Func<ConversationKey, IChatClient> _open;
    private readonly Action<ConversationKey, ChatResponse>? _answered;
    private readonly ConcurrentDictionary<ConversationKey, Lazy<IChatClient>> _clients = new();
    private readonly ChatClientMetadata _metadata;

    /// <param name="open">Makes the client of a conversation, once, the first time it speaks.</param>
    /// <param name="modelId">The model the answers come from, as the agents' usage reports it.</param>
    /// <param name="answered">Called with every answer, from the agents' threads.</param>
    public ConversationRouter(Func<ConversationKey, IChatClient> open, string modelId, Action<ConversationKey, ChatResponse>? answered = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        _open = open;
        _answered = answered;
        _metadata = new ChatClientMetadata(nameof(ConversationRouter), defaultModelId: modelId);
    }

    /// <summary>The conversations that have spoken, with their clients.</summary>
    public IReadOnlyDictionary<ConversationKey, IChatClient> Conversations =>
        _clients.ToDictionary(pair => pair.Key, pair => pair.Value.Value);

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ChatMessage[] request = [.. messages];
        ConversationKey key = ConversationKey.From(request);
        ChatResponse response = await ClientOf(key).GetResponseAsync(request, options, cancellationToken).ConfigureAwait(false);
        _answered?.Invoke(key, response);
        return response;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatMessage[] request = [.. messages];
        ConversationKey key = ConversationKey.From(request);
        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in ClientOf(key).GetStreamingResponseAsync(request, options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
            yield return update;
        }

        _answered?.Invoke(key, updates.ToChatResponse());
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <summary>Does nothing: the clients of the conversations belong to whoever made them.</summary>
    public void Dispose()
    {
    }

    private IChatClient ClientOf(ConversationKey key) =>
        _clients.GetOrAdd(key, k => new Lazy<IChatClient>(() => _open(k), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
}
