using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using ParallelAgents.Sdk.Redis.Tests.TestSupport;
using ParallelAgents.Sdk.Tests.Memory;
using StackExchange.Redis;

namespace ParallelAgents.Sdk.Redis.Tests.Memory;

/// <summary>The shared memory contract on a real redis-server, and what only a networked store has to keep: several
/// stores (several machines) on one Redis share one memory and one sequence.</summary>
public sealed class RedisSharedMemoryTests : SharedMemoryContractTests, IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _prefixes = new();

    protected override async ValueTask<ISharedMemory> CreateAsync(SharedMemoryOptions options)
    {
        string prefix = await NewPrefixAsync();
        return await RedisSharedMemory.ConnectAsync(RedisTestServer.Options(prefix, options), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        while (_prefixes.TryDequeue(out string? prefix))
        {
            await RedisTestServer.DeleteKeysAsync(prefix);
        }
    }

    [Fact]
    public async Task TwoStores_SamePrefix_SeeEachOthersWritesAndShareOneSequence()
    {
        string prefix = await NewPrefixAsync();
        await using RedisSharedMemory first = await ConnectAsync(prefix);
        await using RedisSharedMemory second = await ConnectAsync(prefix);

        MemoryEntry a = await first.SetAsync("discoveries/schema", Json("""{"tables":["users"]}"""), "database", Ct);
        MemoryEntry b = await second.SetAsync("discoveries/routes", Json("""["/users"]"""), "backend", Ct);
        bool deleted = await first.DeleteAsync("discoveries/schema", "database", Ct);
        MemoryEntry c = await second.SetAsync("discoveries/schema", Json("""{"tables":["users","tasks"]}"""), "database", Ct);

        Assert.Equal([1L, 2L, 4L], [a.Version, b.Version, c.Version]);
        Assert.True(deleted);
        MemoryEntry? seen = await first.GetAsync("discoveries/schema", Ct);
        Assert.NotNull(seen);
        Assert.Equal(4, seen.Version);
        Assert.Equal("database", seen.Author);
        Assert.Equal("""{"tables":["users","tasks"]}""", seen.Value.GetRawText());

        MemorySnapshot snapshot = await first.SnapshotAsync(Ct);
        Assert.Equal(4, snapshot.Sequence);
        Assert.Equal(["discoveries/routes", "discoveries/schema"], snapshot.Entries.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TwoStores_DifferentPrefixes_DoNotSeeEachOther()
    {
        await using RedisSharedMemory first = await ConnectAsync(await NewPrefixAsync());
        await using RedisSharedMemory second = await ConnectAsync(await NewPrefixAsync());

        await first.SetAsync("status/frontend", Json("""{"status":"started"}"""), "frontend", Ct);
        MemoryEntry other = await second.SetAsync("status/backend", Json("""{"status":"started"}"""), "backend", Ct);

        Assert.Null(await second.GetAsync("status/frontend", Ct));
        Assert.Equal(1, other.Version);
        Assert.Single(await first.ListAsync("", Ct));
    }

    [Fact]
    public async Task CompareAndSetAsync_RaceBetweenTwoStores_ExactlyOneWinsEachRound()
    {
        string prefix = await NewPrefixAsync();
        await using RedisSharedMemory first = await ConnectAsync(prefix);
        await using RedisSharedMemory second = await ConnectAsync(prefix);

        for (int round = 0; round < 50; round++)
        {
            string key = $"locks/merge-{round}";
            Task<CompareAndSetResult> a = first.CompareAndSetAsync(key, 0, Json("\"first\""), "first", Ct).AsTask();
            Task<CompareAndSetResult> b = second.CompareAndSetAsync(key, 0, Json("\"second\""), "second", Ct).AsTask();
            CompareAndSetResult[] results = await Task.WhenAll(a, b);

            CompareAndSetResult winner = Assert.Single(results, r => r.Succeeded);
            CompareAndSetResult loser = Assert.Single(results, r => !r.Succeeded);
            Assert.NotNull(winner.Current);
            Assert.NotNull(loser.Current);
            Assert.Equal(winner.Current.Version, loser.Current.Version);
            Assert.Equal(winner.Current.Author, loser.Current.Author);
        }
    }

    [Fact]
    public async Task CompareAndSetAsync_CounterIncrementedFromTwoStores_IsExact()
    {
        const int WritersPerStore = 4;
        const int Increments = 250;
        string prefix = await NewPrefixAsync();
        await using RedisSharedMemory first = await ConnectAsync(prefix);
        await using RedisSharedMemory second = await ConnectAsync(prefix);

        async Task IncrementAsync(ISharedMemory memory, string author)
        {
            for (int i = 0; i < Increments; i++)
            {
                MemoryEntry? current = await memory.GetAsync("counter", Ct);
                while (true)
                {
                    long value = current is null ? 0 : current.Value.GetInt64();
                    CompareAndSetResult result = await memory.CompareAndSetAsync("counter", current?.Version ?? 0, Json((value + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)), author, Ct);
                    if (result.Succeeded)
                    {
                        break;
                    }

                    current = result.Current;
                }
            }
        }

        Task[] writers = [
            .. Enumerable.Range(0, WritersPerStore).Select(i => IncrementAsync(first, $"first-{i}")),
            .. Enumerable.Range(0, WritersPerStore).Select(i => IncrementAsync(second, $"second-{i}")),
        ];
        await Task.WhenAll(writers);

        MemoryEntry? final = await second.GetAsync("counter", Ct);
        Assert.NotNull(final);
        Assert.Equal(2 * WritersPerStore * Increments, final.Value.GetInt64());
        Assert.Equal(2 * WritersPerStore * Increments, final.Version);
    }

    [Fact]
    public async Task ConnectAsync_NoRedisAtEndpoint_ThrowsSayingWhereAndHowToFix()
    {
        int port = FreePort();
        var options = new RedisSharedMemoryOptions { ConnectionString = $"127.0.0.1:{port},connectTimeout=1000,connectRetry=1" };

        RedisUnavailableException ex = await Assert.ThrowsAsync<RedisUnavailableException>(() => RedisSharedMemory.ConnectAsync(options, Ct));

        Assert.Equal([$"127.0.0.1:{port}"], ex.Endpoints);
        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"redis-server --port {port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RedisSharedMemoryOptions.ConnectionString", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public async Task ConnectAsync_HostNameWithoutPort_NamesTheDefaultPort()
    {
        var options = new RedisSharedMemoryOptions { ConnectionString = "no-such-redis-host.invalid,connectTimeout=500,connectRetry=1" };

        RedisUnavailableException ex = await Assert.ThrowsAsync<RedisUnavailableException>(() => RedisSharedMemory.ConnectAsync(options, Ct));

        Assert.Equal(["no-such-redis-host.invalid:6379"], ex.Endpoints);
        Assert.Contains("no-such-redis-host.invalid:6379", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", nameof(RedisSharedMemoryOptions.KeyPrefix))]
    [InlineData("bad\nprefix", nameof(RedisSharedMemoryOptions.KeyPrefix))]
    public async Task ConnectAsync_InvalidKeyPrefix_ThrowsNamingTheOption(string prefix, string option)
    {
        var options = new RedisSharedMemoryOptions { KeyPrefix = prefix };

        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(() => RedisSharedMemory.ConnectAsync(options, Ct));

        Assert.Equal(option, ex.ParamName);
    }

    [Fact]
    public void Validate_OutOfRangeOptions_ThrowNamingTheOption()
    {
        Assert.Equal("ConnectionString", Assert.Throws<ArgumentException>(() => new RedisSharedMemoryOptions { ConnectionString = " " }.Validate()).ParamName);
        Assert.Equal("ConnectionString", Assert.Throws<ArgumentException>(() => new RedisSharedMemoryOptions { ConnectionString = "localhost,nonsense=1" }.Validate()).ParamName);
        Assert.Equal("WatchPollInterval", Assert.Throws<ArgumentOutOfRangeException>(() => new RedisSharedMemoryOptions { WatchPollInterval = TimeSpan.Zero }.Validate()).ParamName);
        Assert.Equal("KeyPrefix", Assert.Throws<ArgumentOutOfRangeException>(() => new RedisSharedMemoryOptions { KeyPrefix = new string('p', 257) }.Validate()).ParamName);
        Assert.Equal("RetainedChanges", Assert.Throws<ArgumentOutOfRangeException>(() => new RedisSharedMemoryOptions { RetainedChanges = 0 }.Validate()).ParamName);
        new RedisSharedMemoryOptions().Validate();
    }

    [Fact]
    public async Task WatchAsync_ResumedOnAnotherStore_ContinuesAfterTheLastSequenceSeen()
    {
        string prefix = await NewPrefixAsync();
        await using RedisSharedMemory writer = await ConnectAsync(prefix);
        await using RedisSharedMemory firstWatcher = await ConnectAsync(prefix);
        for (int i = 1; i <= 3; i++)
        {
            await writer.SetAsync($"discoveries/d{i}", Json(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), "writer", Ct);
        }

        long lastSeen = 0;
        await foreach (MemoryChange change in firstWatcher.WatchAsync("", fromSequence: 0, Ct))
        {
            lastSeen = change.Sequence;
            if (lastSeen == 2)
            {
                break;
            }
        }

        await firstWatcher.DisposeAsync();

        // A coordinator on another machine picks up where the first one stopped.
        await using RedisSharedMemory secondWatcher = await ConnectAsync(prefix);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var seen = new List<MemoryChange>();
        Task watching = Task.Run(async () =>
        {
            await foreach (MemoryChange change in secondWatcher.WatchAsync("discoveries/", lastSeen, timeout.Token))
            {
                seen.Add(change);
                if (seen.Count == 3)
                {
                    break;
                }
            }
        }, Ct);
        await writer.DeleteAsync("discoveries/d1", "writer", Ct);
        await writer.SetAsync("discoveries/d4", Json("4"), "writer", Ct);
        await watching;

        Assert.Equal([3L, 4L, 5L], seen.Select(c => c.Sequence));
        Assert.Equal([MemoryChangeKind.Set, MemoryChangeKind.Delete, MemoryChangeKind.Set], seen.Select(c => c.Kind));
        Assert.Equal(["discoveries/d3", "discoveries/d1", "discoveries/d4"], seen.Select(c => c.Key));
        Assert.Null(seen[1].Entry);
        Assert.Equal(4, seen[2].Entry!.Value.GetInt32());
    }

    [Fact]
    public async Task WatchAsync_WriteFromAnotherStore_WakesTheWatcherWithoutWaitingForThePoll()
    {
        string prefix = await NewPrefixAsync();
        RedisSharedMemoryOptions options = RedisTestServer.Options(prefix);
        options.WatchPollInterval = TimeSpan.FromMinutes(10);
        await using RedisSharedMemory watcher = await RedisSharedMemory.ConnectAsync(options, Ct);
        await using RedisSharedMemory writer = await ConnectAsync(prefix);

        await using IAsyncEnumerator<MemoryChange> changes = watcher.WatchAsync("status/", cancellationToken: Ct).GetAsyncEnumerator(Ct);
        ValueTask<bool> next = changes.MoveNextAsync();

        // The watcher listens on the store's channel before it waits; write once it is subscribed.
        IDatabase redis = await RedisTestServer.DatabaseAsync();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        while (!await IsSubscribedAsync(redis, prefix + "changed"))
        {
            await Task.Yield();
            deadline.Token.ThrowIfCancellationRequested();
        }

        await writer.SetStatusAsync("backend", new AgentStatusReport("started"), Ct);

        // The poll interval is ten minutes: only the notification can deliver the change before this deadline.
        Assert.True(await next.AsTask().WaitAsync(TimeSpan.FromSeconds(60), Ct));
        Assert.Equal("status/backend", changes.Current.Key);
        Assert.Equal(1, changes.Current.Sequence);
    }

    [Fact]
    public async Task WatchAsync_FromSequenceOlderThanRetained_ThrowsTruncatedAndResumesWithinRetention()
    {
        string prefix = await NewPrefixAsync();
        await using RedisSharedMemory memory = await RedisSharedMemory.ConnectAsync(RedisTestServer.Options(prefix, new SharedMemoryOptions { RetainedChanges = 4 }), Ct);
        for (int i = 1; i <= 10; i++)
        {
            await memory.SetAsync("counter", Json(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), "writer", Ct);
        }

        ChangeFeedTruncatedException ex = await Assert.ThrowsAsync<ChangeFeedTruncatedException>(async () =>
        {
            await foreach (MemoryChange change in memory.WatchAsync("", fromSequence: 5, Ct))
            {
            }
        });
        Assert.Equal(5, ex.RequestedSequence);
        Assert.Equal(7, ex.OldestRetainedSequence);

        var resumed = new List<long>();
        await foreach (MemoryChange change in memory.WatchAsync("", fromSequence: 6, Ct))
        {
            resumed.Add(change.Sequence);
            if (change.Sequence == 10)
            {
                break;
            }
        }

        Assert.Equal([7L, 8L, 9L, 10L], resumed);
        IDatabase redis = await RedisTestServer.DatabaseAsync();
        Assert.Equal(4, await redis.StreamLengthAsync(prefix + "changes"));
    }

    [Fact]
    public async Task DisposeAsync_WhileWatching_EndsTheStream()
    {
        RedisSharedMemory memory = await ConnectAsync(await NewPrefixAsync());
        IAsyncEnumerator<MemoryChange> changes = memory.WatchAsync("", cancellationToken: Ct).GetAsyncEnumerator(Ct);
        ValueTask<bool> next = changes.MoveNextAsync();

        await memory.DisposeAsync();

        Assert.False(await next.AsTask().WaitAsync(TimeSpan.FromSeconds(60), Ct));
        await changes.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await memory.GetAsync("x", Ct));
    }

    [Fact]
    public async Task Entries_StoredInRedis_LaidOutAsDocumented()
    {
        string prefix = await NewPrefixAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 10, 30, 0, TimeSpan.Zero));
        await using RedisSharedMemory memory = await RedisSharedMemory.ConnectAsync(RedisTestServer.Options(prefix, new SharedMemoryOptions { TimeProvider = time }), Ct);

        await memory.SetAsync("discoveries/schema", Json("""{"tables": ["users"]}"""), "database", Ct);
        time.Advance(TimeSpan.FromMinutes(1));
        await memory.SetAsync("discoveries/schema", Json("""{"tables": ["users", "tasks"]}"""), "database", Ct);

        IDatabase redis = await RedisTestServer.DatabaseAsync();
        Assert.Equal(RedisType.String, await redis.KeyTypeAsync(prefix + "seq"));
        Assert.Equal(RedisType.Hash, await redis.KeyTypeAsync(prefix + "entries"));
        Assert.Equal(RedisType.SortedSet, await redis.KeyTypeAsync(prefix + "keys"));
        Assert.Equal(RedisType.Stream, await redis.KeyTypeAsync(prefix + "changes"));
        Assert.Equal(2, (long)await redis.StringGetAsync(prefix + "seq"));
        string stored = (string)(await redis.HashGetAsync(prefix + "entries", "discoveries/schema"))!;
        Assert.Equal($"2\n{time.GetUtcNow().UtcTicks}\n8\ndatabase{{\"tables\": [\"users\", \"tasks\"]}}", stored);
        StreamEntry[] changes = await redis.StreamRangeAsync(prefix + "changes");
        Assert.Equal(["1-0", "2-0"], changes.Select(c => (string)c.Id!));

        MemoryEntry? read = await memory.GetAsync("discoveries/schema", Ct);
        Assert.Equal(time.GetUtcNow(), read!.Timestamp);
    }

    [Fact]
    public async Task ListAsync_KeysWithGlobAndNonAsciiCharacters_MatchesPrefixLiterallyInOrdinalOrder()
    {
        await using RedisSharedMemory memory = await ConnectAsync(await NewPrefixAsync());
        string[] keys = ["a*[x]", "a*", "a*b", "a?", "ab", "a*\u00e9", "a*\U0001F600", "a*\uFF21", "b"];
        foreach (string key in keys)
        {
            await memory.SetAsync(key, Json("true"), "writer", Ct);
        }

        IReadOnlyList<MemoryEntry> listed = await memory.ListAsync("a*", Ct);

        string[] expected = [.. keys.Where(k => k.StartsWith("a*", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, listed.Select(e => e.Key));
    }

    [Fact]
    public async Task Timestamps_FromTheTimeProvider_SurviveTheRoundTrip()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero).AddTicks(9));
        await using RedisSharedMemory memory = await RedisSharedMemory.ConnectAsync(RedisTestServer.Options(await NewPrefixAsync(), new SharedMemoryOptions { TimeProvider = time }), Ct);

        MemoryEntry written = await memory.SetAsync("k", Json("1"), "author with spaces and \u00e9", Ct);
        time.Advance(TimeSpan.FromSeconds(3));
        await memory.DeleteAsync("k", "deleter", Ct);

        var changes = new List<MemoryChange>();
        await foreach (MemoryChange change in memory.WatchAsync("", 0, Ct))
        {
            changes.Add(change);
            if (changes.Count == 2)
            {
                break;
            }
        }

        Assert.Equal(written.Timestamp, changes[0].Timestamp);
        Assert.Equal(written.Timestamp, changes[0].Entry!.Timestamp);
        Assert.Equal("author with spaces and \u00e9", changes[0].Author);
        Assert.Equal(time.GetUtcNow(), changes[1].Timestamp);
        Assert.Equal("deleter", changes[1].Author);
    }

    private async Task<string> NewPrefixAsync()
    {
        await RedisTestServer.RequireAsync();
        string prefix = RedisTestServer.NewPrefix();
        _prefixes.Enqueue(prefix);
        return prefix;
    }

    private static Task<RedisSharedMemory> ConnectAsync(string prefix) =>
        RedisSharedMemory.ConnectAsync(RedisTestServer.Options(prefix), Ct);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> IsSubscribedAsync(IDatabase redis, string channel)
    {
        var reply = (RedisResult[])(await redis.ExecuteAsync("PUBSUB", "NUMSUB", channel))!;
        return (long)reply[1] > 0;
    }
}
