using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using StackExchange.Redis;

namespace ParallelAgents.Sdk.Redis;

/// <summary>
/// An <see cref="ISharedMemory"/> on Redis, for runs whose coordinators or agents are on several machines: every
/// store that connects to the same Redis with the same <see cref="RedisSharedMemoryOptions.KeyPrefix"/> shares one
/// memory, one sequence and one change feed.
/// </summary>
/// <remarks>
/// <para>Each write is one Lua script, so Redis runs it whole with nothing in between: it draws the next number of the
/// global sequence (<c>INCR</c>), appends the change to a stream (<c>XADD</c>, with the sequence as the stream id and
/// the feed trimmed to exactly <see cref="SharedMemoryOptions.RetainedChanges"/>), stores the entry in a hash, keeps a
/// sorted key index for <see cref="ListAsync"/>, and publishes the sequence on a channel. Compare-and-set compares
/// the version in the same script, so it is atomic on the server whichever client wins. Snapshots and lists read
/// everything they return in one script too.</para>
/// <para>Watchers read the stream with <c>XRANGE</c> from the last sequence they saw; when they are caught up they
/// wait for the channel's notification (StackExchange.Redis does not block a multiplexed connection on
/// <c>XREAD BLOCK</c>), and read anyway after <see cref="RedisSharedMemoryOptions.WatchPollInterval"/> in case a
/// notification was lost.</para>
/// <para>Every read parses the entry again; entries read by any client are equal (<see cref="MemoryEntry"/> compares
/// key, version, author, timestamp and JSON text).</para>
/// <para>Needs Redis 5.0 or later (streams). The keys are <c>&lt;prefix&gt;seq</c>, <c>&lt;prefix&gt;entries</c>,
/// <c>&lt;prefix&gt;keys</c> and <c>&lt;prefix&gt;changes</c>; the channel is <c>&lt;prefix&gt;changed</c>.</para>
/// </remarks>
public sealed class RedisSharedMemory : ISharedMemory
{
    private const int WatchBatchSize = 512;

    private static readonly Version MinimumServerVersion = new(5, 0);

    private static readonly RedisValue KindField = "o";
    private static readonly RedisValue KeyField = "k";
    private static readonly RedisValue EntryField = "e";

    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _database;
    private readonly SharedMemoryOptions _limits;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _pollInterval;
    private readonly IReadOnlyList<string> _endpoints;
    private readonly RedisKey[] _scriptKeys;
    private readonly RedisKey _sequenceKey;
    private readonly RedisKey _entriesKey;
    private readonly RedisKey _changesKey;
    private readonly RedisChannel _channel;
    private readonly RedisValue _channelName;
    private readonly RedisValue _retainedChanges;
    private readonly ChangeSignal _signal = new();
    private readonly Action<RedisChannel, RedisValue> _onNotification;

    // Cancelled on dispose to end every watch; never disposed, since watchers may still link to its token.
    private readonly CancellationTokenSource _disposing = new();
    private Task? _subscribed;
    private int _disposed;

    private RedisSharedMemory(ConnectionMultiplexer connection, RedisSharedMemoryOptions options, IReadOnlyList<string> endpoints)
    {
        _connection = connection;
        _database = connection.GetDatabase();
        _limits = options.CopyLimits();
        _timeProvider = options.TimeProvider;
        _pollInterval = options.WatchPollInterval;
        _endpoints = endpoints;
        KeyPrefix = options.KeyPrefix;

        _sequenceKey = KeyPrefix + "seq";
        _entriesKey = KeyPrefix + "entries";
        _changesKey = KeyPrefix + "changes";
        _scriptKeys = [_sequenceKey, _entriesKey, (RedisKey)(KeyPrefix + "keys"), _changesKey];
        _channelName = KeyPrefix + "changed";
        _channel = RedisChannel.Literal(KeyPrefix + "changed");
        _retainedChanges = options.RetainedChanges;
        _onNotification = (_, _) => _signal.Pulse();
    }

    /// <summary>What the names of this store's Redis keys start with.</summary>
    public string KeyPrefix { get; }

    /// <summary>Connects to Redis and opens the store kept under <see cref="RedisSharedMemoryOptions.KeyPrefix"/>
    /// (an empty store when nothing is there yet).</summary>
    /// <param name="options">Where Redis is and the store's limits; validated here.</param>
    /// <param name="cancellationToken">Stops waiting for the connection.</param>
    /// <returns>The store; dispose it to close the connection.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    /// <exception cref="RedisUnavailableException">No Redis answered at the configured endpoints; the message names them
    /// and says how to start one.</exception>
    /// <exception cref="NotSupportedException">The Redis server is older than 5.0, which brought streams.</exception>
    public static async Task<RedisSharedMemory> ConnectAsync(RedisSharedMemoryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();

        ConfigurationOptions configuration = ConfigurationOptions.Parse(options.ConnectionString);
        if (string.IsNullOrEmpty(configuration.ClientName))
        {
            // Shows in CLIENT LIST, so an operator can tell which connections are the agents'.
            configuration.ClientName = "ParallelAgents.Sdk";
        }

        IReadOnlyList<string> endpoints = Describe(configuration);
        Task<ConnectionMultiplexer> connecting = ConnectionMultiplexer.ConnectAsync(configuration);
        ConnectionMultiplexer connection;
        try
        {
            connection = await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The connection may still be made after the caller gave up on it: close it then.
            _ = connecting.ContinueWith(
                static t => t.Result.Dispose(),
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion,
                TaskScheduler.Default);
            throw;
        }
        catch (RedisConnectionException ex)
        {
            throw new RedisUnavailableException(endpoints, ex);
        }

        try
        {
            // With abortConnect=false the connection is returned before it is made: make sure something answers.
            await connection.GetDatabase().PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new RedisUnavailableException(endpoints, ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        foreach (IServer server in connection.GetServers())
        {
            if (server.IsConnected && server.Version < MinimumServerVersion)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw new NotSupportedException(
                    $"The Redis server at {server.EndPoint} is version {server.Version}; RedisSharedMemory needs {MinimumServerVersion} or later, for streams. Upgrade it, or point RedisSharedMemoryOptions.ConnectionString at a newer Redis.");
            }
        }

        return new RedisSharedMemory(connection, options, endpoints);
    }

    /// <inheritdoc />
    public async ValueTask<MemoryEntry?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        SharedMemoryKeys.Validate(key, _limits);
        cancellationToken.ThrowIfCancellationRequested();
        RedisValue stored;
        try
        {
            stored = await _database.HashGetAsync(_entriesKey, key).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisConnectionException ex)
        {
            throw Unavailable(ex);
        }

        return stored.IsNull ? null : Decode(key, (byte[])stored!);
    }

    /// <inheritdoc />
    public async ValueTask<MemoryEntry> SetAsync(string key, JsonElement value, string author, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        JsonElement copy = MemoryValue.Prepare(key, value, author, _limits);
        cancellationToken.ThrowIfCancellationRequested();
        DateTimeOffset now = _timeProvider.GetUtcNow();
        byte[] payload = RedisEntryCodec.EncodePayload(now, author, copy.GetRawText());
        RedisResult result = await EvaluateAsync(RedisScripts.Write, key, payload, RedisValue.EmptyString).ConfigureAwait(false);
        return new MemoryEntry(key, copy, (long)result[1], author, now);
    }

    /// <inheritdoc />
    public async ValueTask<CompareAndSetResult> CompareAndSetAsync(string key, long expectedVersion, JsonElement value, string author, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        JsonElement copy = MemoryValue.Prepare(key, value, author, _limits);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        cancellationToken.ThrowIfCancellationRequested();
        DateTimeOffset now = _timeProvider.GetUtcNow();
        byte[] payload = RedisEntryCodec.EncodePayload(now, author, copy.GetRawText());
        RedisResult result = await EvaluateAsync(RedisScripts.Write, key, payload, expectedVersion.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        if ((long)result[0] == 1)
        {
            return new CompareAndSetResult(true, new MemoryEntry(key, copy, (long)result[1], author, now));
        }

        RedisResult current = result[1];
        return new CompareAndSetResult(false, current.IsNull ? null : Decode(key, (byte[])current!));
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string key, string author, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        SharedMemoryKeys.Validate(key, _limits);
        MemoryValue.ValidateAuthor(author);

        cancellationToken.ThrowIfCancellationRequested();
        DateTimeOffset now = _timeProvider.GetUtcNow();
        RedisResult result = await EvaluateAsync(RedisScripts.Delete, key, RedisEntryCodec.EncodePayload(now, author, json: null)).ConfigureAwait(false);
        if ((long)result == 0)
        {
            return false;
        }

        return true;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<MemoryEntry>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        RedisResult result = await EvaluateAsync(RedisScripts.List, prefix).ConfigureAwait(false);
        var entries = new List<MemoryEntry>(result.Length / 2);
        for (int i = 0; i + 1 < result.Length; i += 2)
        {
            entries.Add(Decode((string)result[i]!, (byte[])result[i + 1]!));
        }

        // Redis orders by UTF-8 bytes; the contract orders by UTF-16 code units (they differ only past U+FFFF).
        entries.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return entries;
    }

    /// <inheritdoc />
    public async ValueTask<MemorySnapshot> SnapshotAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        RedisResult result = await EvaluateAsync(RedisScripts.Snapshot).ConfigureAwait(false);
        long sequence = (long)result[0];
        RedisResult pairs = result[1];
        var entries = new Dictionary<string, MemoryEntry>(pairs.Length / 2, StringComparer.Ordinal);
        for (int i = 0; i + 1 < pairs.Length; i += 2)
        {
            string key = (string)pairs[i]!;
            entries[key] = Decode(key, (byte[])pairs[i + 1]!);
        }

        return new MemorySnapshot(sequence, entries);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<MemoryChange> WatchAsync(string prefix, long? fromSequence = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(prefix);
        if (fromSequence is { } from)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(from, nameof(fromSequence));
        }

        // "The next change committed after the call": the sequence is read now, in order with this client's later
        // commands, not when the caller first enumerates.
        Task<RedisValue>? start = fromSequence is null ? _database.StringGetAsync(_sequenceKey) : null;
        _ = start?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return WatchCoreAsync(prefix, fromSequence, start, cancellationToken);
    }

    /// <summary>Closes the connection; watchers' streams end.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        try
        {
            await _connection.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // The connection is already gone; nothing is left to close.
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async IAsyncEnumerable<MemoryChange> WatchCoreAsync(string prefix, long? fromSequence, Task<RedisValue>? start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        long last;
        if (fromSequence is { } from)
        {
            last = from;
        }
        else
        {
            RedisValue current;
            try
            {
                current = await start!.WaitAsync(stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsDisposed && !cancellationToken.IsCancellationRequested && ex is OperationCanceledException or RedisException or ObjectDisposedException)
            {
                yield break;
            }
            catch (RedisConnectionException ex)
            {
                throw Unavailable(ex);
            }

            last = current.IsNull ? 0 : (long)current;
        }

        if (!await SubscribeAsync(cancellationToken).ConfigureAwait(false))
        {
            yield break;
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Taken before the read: a notification for a change the read misses completes this task, so the wait
            // below cannot sleep through it.
            Task notified = _signal.Current;
            StreamEntry[]? batch = await ReadChangesAsync(last, cancellationToken).ConfigureAwait(false);
            if (batch is null)
            {
                yield break;
            }

            if (batch.Length == 0)
            {
                if (!await WaitForChangeAsync(notified, stop.Token, cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }

                continue;
            }

            long first = RedisEntryCodec.SequenceOfStreamId(batch[0].Id!);
            if (first != last + 1)
            {
                // The sequence has no gaps, so a missing next number means the stream was trimmed past it.
                throw new ChangeFeedTruncatedException(last, first);
            }

            foreach (StreamEntry entry in batch)
            {
                MemoryChange change = DecodeChange(entry);
                last = change.Sequence;
                if (change.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return change;
                }
            }
        }
    }

    private async ValueTask<StreamEntry[]?> ReadChangesAsync(long after, CancellationToken cancellationToken)
    {
        try
        {
            return await _database.StreamRangeAsync(_changesKey, RedisEntryCodec.StreamIdOf(after + 1), "+", WatchBatchSize).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsDisposed && !cancellationToken.IsCancellationRequested && ex is RedisException or ObjectDisposedException)
        {
            return null;
        }
        catch (RedisConnectionException ex)
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Waits for a notification or the poll interval; false when the store was disposed.</summary>
    private async ValueTask<bool> WaitForChangeAsync(Task notified, CancellationToken stop, CancellationToken cancellationToken)
    {
        try
        {
            await notified.WaitAsync(_pollInterval, stop).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // No notification: read anyway, in case one was lost while the connection was being re-made.
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        return true;
    }

    /// <summary>Subscribes this store to change notifications once; false when the store was disposed meanwhile.</summary>
    private async ValueTask<bool> SubscribeAsync(CancellationToken cancellationToken)
    {
        Task? subscribed = Volatile.Read(ref _subscribed);
        if (subscribed is null)
        {
            Task subscribing = _connection.GetSubscriber().SubscribeAsync(_channel, _onNotification);
            subscribed = Interlocked.CompareExchange(ref _subscribed, subscribing, null) ?? subscribing;
            if (!ReferenceEquals(subscribed, subscribing))
            {
                // Another watcher subscribed first; this second handler only doubles pulses until dispose.
                _ = subscribing.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }

        try
        {
            await subscribed.ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (IsDisposed && !cancellationToken.IsCancellationRequested && ex is RedisException or ObjectDisposedException)
        {
            return false;
        }
        catch (RedisConnectionException ex)
        {
            // Let the next watcher try again rather than keep a failed subscription.
            _ = Interlocked.CompareExchange(ref _subscribed, null, subscribed);
            throw Unavailable(ex);
        }
    }

    private static MemoryEntry Decode(string key, byte[] stored) => RedisEntryCodec.DecodeEntry(key, stored);

    private static MemoryChange DecodeChange(StreamEntry entry)
    {
        string? kind = null;
        string? key = null;
        byte[]? stored = null;
        foreach (NameValueEntry field in entry.Values)
        {
            if (field.Name == KindField)
            {
                kind = field.Value;
            }
            else if (field.Name == KeyField)
            {
                key = field.Value;
            }
            else if (field.Name == EntryField)
            {
                stored = field.Value;
            }
        }

        long sequence = RedisEntryCodec.SequenceOfStreamId(entry.Id!);
        if (kind is null || key is null || stored is null)
        {
            throw new InvalidDataException($"The shared memory's change {sequence} lacks its kind, key or entry; was the stream written by something other than RedisSharedMemory?");
        }

        return RedisEntryCodec.DecodeChange(sequence, kind, key, stored);
    }

    private async Task<RedisResult> EvaluateAsync(string script, params RedisValue[] arguments)
    {
        try
        {
            return await _database.ScriptEvaluateAsync(script, _scriptKeys, arguments).ConfigureAwait(false);
        }
        catch (RedisConnectionException ex)
        {
            throw Unavailable(ex);
        }
    }

    private Task<RedisResult> EvaluateAsync(string script, string key, byte[] payload, RedisValue expectedVersion) =>
        EvaluateAsync(script, key, payload, _retainedChanges, _channelName, expectedVersion);

    private Task<RedisResult> EvaluateAsync(string script, string key, byte[] payload) =>
        EvaluateAsync(script, key, payload, _retainedChanges, _channelName);

    private RedisUnavailableException Unavailable(Exception ex) => new(_endpoints, ex);

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    private static List<string> Describe(ConfigurationOptions configuration)
    {
        int defaultPort = configuration.Ssl ? 6380 : 6379;
        var endpoints = new List<string>(configuration.EndPoints.Count);
        foreach (EndPoint endpoint in configuration.EndPoints)
        {
            endpoints.Add(endpoint switch
            {
                DnsEndPoint dns => $"{dns.Host}:{(dns.Port == 0 ? defaultPort : dns.Port)}",
                IPEndPoint ip when ip.Port == 0 => new IPEndPoint(ip.Address, defaultPort).ToString(),
                _ => endpoint.ToString() ?? "(unknown endpoint)",
            });
        }

        return endpoints;
    }
}
