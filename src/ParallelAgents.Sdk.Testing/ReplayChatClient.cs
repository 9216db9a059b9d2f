using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>
/// An <see cref="IChatClient"/> that plays a <see cref="ChatCassette"/> back: the n-th request gets the n-th recorded
/// answer, after a check that it matches the n-th recorded request.
/// </summary>
/// <remarks>
/// <para>
/// Exchanges are played in the order they were recorded, not looked up by a hash of the request: a test that makes
/// its requests in a different order, or different requests, fails at the first one that drifted, with a
/// <see cref="ChatCassetteMismatchException"/> naming the exchange and showing the first difference (its path, the
/// recorded value and the actual one). <see cref="ChatRequestMatching"/> says what is compared. A request after the
/// last exchange fails the same way; <see cref="VerifyAllPlayed"/> checks, at the end of a test, that none was left.
/// </para>
/// <para>
/// Streaming and non-streaming requests are both answered from either kind of exchange; a streaming request gets the
/// recorded answer as <see cref="ChatResponse.ToChatResponseUpdates"/> splits it. Call ids in the answers are the
/// recorded ones, so function results sent back refer to them as in the live session. Safe to use from several threads.
/// </para>
/// </remarks>
public sealed class ReplayChatClient : IChatClient
{
    private readonly object _gate = new();
    private readonly ChatCassette _cassette;
    private readonly string? _source;
    private readonly ChatRequestMatching _matching;
    private readonly SecretRedactor _redactor;
    private int _played;

    /// <summary>Initializes a new instance of the <see cref="ReplayChatClient"/> class that plays the cassette file at <paramref name="cassettePath"/>.</summary>
    /// <param name="cassettePath">The cassette file.</param>
    /// <param name="options">How to match requests; <see langword="null"/> for the defaults.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a cassette this library reads.</exception>
    public ReplayChatClient(string cassettePath, ReplayChatClientOptions? options = null)
        : this(ChatCassette.Load(cassettePath), options, cassettePath)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ReplayChatClient"/> class that plays <paramref name="cassette"/>.</summary>
    /// <param name="cassette">The cassette; it must not change while it is played.</param>
    /// <param name="options">How to match requests; <see langword="null"/> for the defaults.</param>
    public ReplayChatClient(ChatCassette cassette, ReplayChatClientOptions? options = null)
        : this(cassette, options, source: null)
    {
    }

    private ReplayChatClient(ChatCassette cassette, ReplayChatClientOptions? options, string? source)
    {
        ArgumentNullException.ThrowIfNull(cassette);
        options ??= new ReplayChatClientOptions();
        ArgumentNullException.ThrowIfNull(options.RedactionMarker, nameof(options));
        if (!Enum.IsDefined(options.Matching))
        {
            throw new ArgumentException($"ReplayChatClientOptions.Matching is {(int)options.Matching}, which is not a ChatRequestMatching value.", nameof(options));
        }

        _cassette = cassette;
        _source = source;
        _matching = options.Matching;
        _redactor = new SecretRedactor(options.Secrets, options.Redact, options.RedactionMarker);
    }

    /// <summary>Gets how many exchanges have been played.</summary>
    public int PlayedCount
    {
        get
        {
            lock (_gate)
            {
                return _played;
            }
        }
    }

    /// <summary>Gets how many exchanges are left to play.</summary>
    public int RemainingCount
    {
        get
        {
            lock (_gate)
            {
                return _cassette.Exchanges.Count - _played;
            }
        }
    }

    /// <summary>Checks that every recorded exchange was played.</summary>
    /// <exception cref="ChatCassetteMismatchException">Some exchanges were not played: the code under test made fewer requests than were recorded.</exception>
    public void VerifyAllPlayed()
    {
        lock (_gate)
        {
            int total = _cassette.Exchanges.Count;
            if (_played < total)
            {
                ChatExchange next = _cassette.Exchanges[_played];
                throw new ChatCassetteMismatchException(
                    $"{Name} was asked {_played} request(s) but holds {total} exchanges: exchange {_played + 1} and later were never played. " +
                    $"The first one unplayed expected:{Environment.NewLine}{ChatMessageFormatter.Describe(next.Request.Messages.Select(CassetteConverter.ToChatMessage).ToList())}{Environment.NewLine}" +
                    "Record the cassette again if the code now makes fewer requests.",
                    _played + 1,
                    path: null,
                    expected: $"{total} requests",
                    actual: $"{_played} requests");
            }
        }
    }

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(CassetteConverter.ToChatResponse(Play(messages, options).Response));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        ChatResponse response = CassetteConverter.ToChatResponse(Play(messages, options).Response);
        foreach (ChatResponseUpdate update in response.ToChatResponseUpdates())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return update;
        }

        // The answer is already in memory; this await only keeps the method an async iterator without a warning.
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return new ChatClientMetadata(nameof(ReplayChatClient), defaultModelId: _cassette.Exchanges.Select(e => e.Response.ModelId).FirstOrDefault(m => m is not null));
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Does nothing: the client holds no resources.</summary>
    public void Dispose()
    {
    }

    private string Name => _source is null ? "The ReplayChatClient" : $"The ReplayChatClient of '{_source}'";

    private ChatExchange Play(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ChatMessage[] snapshot = [.. messages];
        ChatCassetteRequest actual = CassetteConverter.ToCassetteRequest(snapshot, options, _redactor);
        lock (_gate)
        {
            int number = _played + 1;
            if (_played >= _cassette.Exchanges.Count)
            {
                throw new ChatCassetteMismatchException(
                    $"{Name} got request {number}, but the cassette holds {_cassette.Exchanges.Count} exchange(s), all played. " +
                    $"The request:{Environment.NewLine}{ChatMessageFormatter.Describe(snapshot)}{Environment.NewLine}" +
                    "Record the cassette again if the code now makes more requests.",
                    number,
                    path: null,
                    expected: $"{_cassette.Exchanges.Count} requests",
                    actual: $"request {number}");
            }

            ChatExchange exchange = _cassette.Exchanges[_played];
            if (RequestMatcher.FindFirstDifference(exchange.Request, actual, _matching) is { } difference)
            {
                var message = new StringBuilder()
                    .Append(Name).Append(": request ").Append(number).Append(" does not match exchange ").Append(number)
                    .Append(" of ").Append(_cassette.Exchanges.Count).Append(" (").Append(_matching.ToString().ToLowerInvariant()).AppendLine(" matching).")
                    .Append("First difference at ").Append(difference.Path)
                    .AppendLine(difference.Detail is null ? ":" : $" ({difference.Detail}):")
                    .Append("  expected: ").AppendLine(difference.Expected)
                    .Append("  actual:   ").AppendLine(difference.Actual)
                    .Append("If the change is intended, record the cassette again with a RecordingChatClient over a live client")
                    .Append(_matching == ChatRequestMatching.Strict ? ", or replay it with ChatRequestMatching.Lenient to compare only roles and tool names." : ".");
                throw new ChatCassetteMismatchException(message.ToString(), number, difference.Path, difference.Expected, difference.Actual);
            }

            _played++;
            return exchange;
        }
    }
}
