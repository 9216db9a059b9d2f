using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>
/// A <see cref="DelegatingChatClient"/> that forwards every request to a live client and writes each exchange
/// (the request's messages and options, the answer's messages, usage, finish reason and model id) to a
/// <see cref="ChatCassette"/> file, with secrets redacted, for <see cref="ReplayChatClient"/> to play back later.
/// </summary>
/// <remarks>
/// <para>
/// The file holds exactly this client's session: it is written (empty) when the client is made, replacing any
/// earlier cassette at that path, and written again, whole, after each exchange, so a test that fails half-way still
/// leaves a valid cassette of what happened. The answers handed back to the caller are the live ones, not redacted.
/// </para>
/// <para>
/// A streaming request is forwarded as a stream, and the combination of its updates
/// (<see cref="ChatResponseExtensions.ToChatResponse(IEnumerable{ChatResponseUpdate})"/>) is recorded once the stream
/// ends; a stream abandoned before its end, or a request that throws, is not recorded.
/// </para>
/// <para>
/// The request is captured when it is made, so later changes to the caller's message list (a function-invoking
/// client appends to it) do not leak into the recording. Put <see cref="RecordingChatClient"/> under
/// <c>UseFunctionInvocation()</c> (build it first, then wrap it) so that each round trip to the model is one exchange.
/// </para>
/// </remarks>
public sealed class RecordingChatClient : DelegatingChatClient
{
    private readonly object _gate = new();
    private readonly ChatCassette _cassette = new();
    private readonly SecretRedactor _redactor;

    /// <summary>Initializes a new instance of the <see cref="RecordingChatClient"/> class and writes an empty cassette at <paramref name="cassettePath"/>.</summary>
    /// <param name="innerClient">The live client to record.</param>
    /// <param name="cassettePath">The cassette file to write; missing folders are created.</param>
    /// <param name="options">What to redact; <see langword="null"/> redacts nothing.</param>
    public RecordingChatClient(IChatClient innerClient, string cassettePath, RecordingChatClientOptions? options = null)
        : base(innerClient)
    {
        ArgumentException.ThrowIfNullOrEmpty(cassettePath);
        options ??= new RecordingChatClientOptions();
        ArgumentNullException.ThrowIfNull(options.RedactionMarker, nameof(options));
        CassettePath = Path.GetFullPath(cassettePath);
        _redactor = new SecretRedactor(options.Secrets, options.Redact, options.RedactionMarker);
        Write();
    }

    /// <summary>Gets the full path of the cassette file.</summary>
    public string CassettePath { get; }

    /// <summary>Gets how many exchanges have been recorded.</summary>
    public int RecordedCount
    {
        get
        {
            lock (_gate)
            {
                return _cassette.Exchanges.Count;
            }
        }
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ChatMessage[] snapshot = [.. messages];
        ChatCassetteRequest request = CassetteConverter.ToCassetteRequest(snapshot, options, _redactor);
        ChatResponse response = await base.GetResponseAsync(snapshot, options, cancellationToken).ConfigureAwait(false);
        Record(new ChatExchange
        {
            Streaming = false,
            Request = request,
            Response = CassetteConverter.ToCassetteResponse(response, _redactor),
        });
        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ChatMessage[] snapshot = [.. messages];
        ChatCassetteRequest request = CassetteConverter.ToCassetteRequest(snapshot, options, _redactor);
        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in base.GetStreamingResponseAsync(snapshot, options, cancellationToken).ConfigureAwait(false))
        {
            // Cloned because the consumer may change an update it was given, and the recording must show what came in.
            updates.Add(update.Clone());
            yield return update;
        }

        Record(new ChatExchange
        {
            Streaming = true,
            Request = request,
            Response = CassetteConverter.ToCassetteResponse(updates.ToChatResponse(), _redactor),
        });
    }

    private void Record(ChatExchange exchange)
    {
        lock (_gate)
        {
            _cassette.Exchanges.Add(exchange);
            Write();
        }
    }

    private void Write()
    {
        // The literal pass over the whole text is a second line of defence: a secret must never reach the disk.
        ChatCassette.WriteAllTextAtomically(CassettePath, _redactor.ReplaceSecrets(_cassette.ToJson()));
    }
}
