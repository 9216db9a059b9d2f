using System.Collections.Concurrent;
using System.Text.Json;

namespace ParallelAgents.Sdk.Tests.Memory;

/// <summary>
/// The contract every <see cref="ISharedMemory"/> keeps. Each implementation's test class derives from this one; the
/// file is also compiled into the Redis test project, so it must depend on nothing but the core library and xunit.
/// </summary>
/// <remarks>
/// Concurrency tests synchronise through the store itself and tasks, never through sleeps; each waits on a feed with a
/// generous timeout only so that a broken store fails the test instead of hanging it.
/// </remarks>
public abstract class SharedMemoryContractTests
{
    private static readonly TimeSpan FeedTimeout = TimeSpan.FromSeconds(20);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Makes a new, empty store for one test; the test disposes it.</summary>
    protected abstract ValueTask<ISharedMemory> CreateAsync(SharedMemoryOptions options);

    protected ValueTask<ISharedMemory> CreateAsync() => CreateAsync(new SharedMemoryOptions());

    // ---- get, set, delete, list ----

    [Fact]
    public async Task GetAsync_MissingKey_ReturnsNull()
    {
        await using ISharedMemory memory = await CreateAsync();

        Assert.Null(await memory.GetAsync("discoveries/none", Ct));
    }

    [Fact]
    public async Task SetAsync_NewKey_StoresValueAuthorVersionAndTimestamp()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.Zero));
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { TimeProvider = clock });

        MemoryEntry written = await memory.SetAsync("discoveries/schema", Json("""{"tables":["users","tasks"]}"""), "database", Ct);
        MemoryEntry? read = await memory.GetAsync("discoveries/schema", Ct);

        Assert.NotNull(read);
        Assert.Equal("discoveries/schema", read.Key);
        Assert.Equal("""{"tables":["users","tasks"]}""", read.Value.GetRawText());
        Assert.Equal("database", read.Author);
        Assert.Equal(clock.Now, read.Timestamp);
        Assert.Equal(1, read.Version);
        Assert.Equal(written.Version, read.Version);
        Assert.Equal(written.Author, read.Author);
        Assert.Equal(written.Timestamp, read.Timestamp);
    }

    [Fact]
    public async Task SetAsync_ExistingKey_ReplacesValueAuthorAndTimestampWithALaterVersion()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.Zero));
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { TimeProvider = clock });
        MemoryEntry first = await memory.SetAsync("status/backend", Json("\"started\""), "backend", Ct);
        clock.Now = clock.Now.AddMinutes(5);

        MemoryEntry second = await memory.SetAsync("status/backend", Json("\"completed\""), "coordinator", Ct);

        MemoryEntry? read = await memory.GetAsync("status/backend", Ct);
        Assert.NotNull(read);
        Assert.Equal("\"completed\"", read.Value.GetRawText());
        Assert.Equal("coordinator", read.Author);
        Assert.Equal(clock.Now, read.Timestamp);
        Assert.True(second.Version > first.Version, $"version {second.Version} should follow {first.Version}");
        Assert.Equal(second.Version, read.Version);
    }

    [Fact]
    public async Task SetAsync_ValueFromADisposedDocument_KeepsItsOwnCopy()
    {
        await using ISharedMemory memory = await CreateAsync();
        using (JsonDocument document = JsonDocument.Parse("""{"routes":["/tasks","/users"]}"""))
        {
            await memory.SetAsync("discoveries/api", document.RootElement, "backend", Ct);
        }

        MemoryEntry? read = await memory.GetAsync("discoveries/api", Ct);

        Assert.Equal("""{"routes":["/tasks","/users"]}""", read?.Value.GetRawText());
    }

    [Fact]
    public async Task DeleteAsync_ExistingKey_RemovesItAndReturnsTrue()
    {
        await using ISharedMemory memory = await CreateAsync();
        await memory.SetAsync("conflicts/schema", Json("1"), "tests", Ct);

        bool deleted = await memory.DeleteAsync("conflicts/schema", "coordinator", Ct);

        Assert.True(deleted);
        Assert.Null(await memory.GetAsync("conflicts/schema", Ct));
        Assert.Empty(await memory.ListAsync("conflicts/", Ct));
    }

    [Fact]
    public async Task DeleteAsync_MissingKey_ReturnsFalseAndTakesNoSequenceNumber()
    {
        await using ISharedMemory memory = await CreateAsync();
        await memory.SetAsync("a", Json("1"), "tests", Ct);

        bool neverWritten = await memory.DeleteAsync("b", "tests", Ct);
        bool deleted = await memory.DeleteAsync("a", "tests", Ct);
        bool deletedTwice = await memory.DeleteAsync("a", "tests", Ct);
        MemoryEntry next = await memory.SetAsync("c", Json("1"), "tests", Ct);

        Assert.False(neverWritten);
        Assert.True(deleted);
        Assert.False(deletedTwice);
        Assert.Equal(3, next.Version); // 1: set a, 2: delete a, 3: set c; the two failed deletes wrote nothing
    }

    [Fact]
    public async Task SetAsync_AfterDelete_NeverReusesAVersion()
    {
        await using ISharedMemory memory = await CreateAsync();
        MemoryEntry first = await memory.SetAsync("k", Json("1"), "tests", Ct);
        await memory.DeleteAsync("k", "tests", Ct);

        MemoryEntry again = await memory.SetAsync("k", Json("1"), "tests", Ct);

        Assert.Equal(1, first.Version);
        Assert.Equal(3, again.Version);
    }

    [Fact]
    public async Task ListAsync_Prefix_ReturnsMatchingLiveEntriesInOrdinalOrder()
    {
        await using ISharedMemory memory = await CreateAsync();
        foreach (string key in new[] { "discoveries/b", "status/x", "discoveries/a/x", "discoveriesX", "discoveries/B", "discoveries/a", "discoveries/c" })
        {
            await memory.SetAsync(key, Json($"\"{key}\""), "tests", Ct);
        }

        await memory.DeleteAsync("discoveries/c", "tests", Ct);

        IReadOnlyList<MemoryEntry> listed = await memory.ListAsync("discoveries/", Ct);

        // Ordinal: 'B' (0x42) sorts before 'a' (0x61).
        Assert.Equal(["discoveries/B", "discoveries/a", "discoveries/a/x", "discoveries/b"], listed.Select(e => e.Key));
        Assert.All(listed, e => Assert.Equal($"\"{e.Key}\"", e.Value.GetRawText()));
    }

    [Fact]
    public async Task ListAsync_EmptyPrefix_ReturnsEveryLiveEntry()
    {
        await using ISharedMemory memory = await CreateAsync();
        await memory.SetAsync("status/b", Json("1"), "tests", Ct);
        await memory.SetAsync("conflicts/a", Json("2"), "tests", Ct);
        await memory.SetAsync("gone", Json("3"), "tests", Ct);
        await memory.DeleteAsync("gone", "tests", Ct);

        IReadOnlyList<MemoryEntry> listed = await memory.ListAsync("", Ct);

        Assert.Equal(["conflicts/a", "status/b"], listed.Select(e => e.Key));
        Assert.Equal([2L, 1L], listed.Select(e => e.Version));
    }

    // ---- keys, authors and values are checked ----

    [Fact]
    public async Task SetAsync_EmptyKey_ThrowsSayingKeysMustNotBeEmpty()
    {
        await using ISharedMemory memory = await CreateAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await memory.SetAsync("", Json("1"), "tests", Ct));

        Assert.Equal("key", error.ParamName);
        Assert.Contains("must not be empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetAsync_KeyLongerThanTheLimit_ThrowsNamingItsLengthAndTheLimit()
    {
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { MaxKeyLength = 16 });

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await memory.SetAsync(new string('k', 17), Json("1"), "tests", Ct));

        Assert.Equal("key", error.ParamName);
        Assert.Contains("17 characters", error.Message, StringComparison.Ordinal);
        Assert.Contains("the limit is 16", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxKeyLength", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetAsync_KeyAtTheLengthLimit_IsStored()
    {
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { MaxKeyLength = 16 });
        string key = new('k', 16);

        await memory.SetAsync(key, Json("1"), "tests", Ct);

        Assert.NotNull(await memory.GetAsync(key, Ct));
    }

    [Fact]
    public async Task SetAsync_KeyWithAControlCharacter_ThrowsNamingTheCharacter()
    {
        await using ISharedMemory memory = await CreateAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await memory.SetAsync("status/\nagent", Json("1"), "tests", Ct));

        Assert.Equal("key", error.ParamName);
        Assert.Contains("U+000A", error.Message, StringComparison.Ordinal);
        Assert.Contains("control character", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryKeyedOperation_InvalidKey_ThrowsArgumentException()
    {
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { MaxKeyLength = 8 });
        await memory.SetAsync("valid", Json("1"), "tests", Ct);

        foreach (string key in new[] { "", "123456789", "tab\there", "del\u007F" })
        {
            await Assert.ThrowsAsync<ArgumentException>(async () => await memory.GetAsync(key, Ct));
            await Assert.ThrowsAsync<ArgumentException>(async () => await memory.SetAsync(key, Json("1"), "tests", Ct));
            await Assert.ThrowsAsync<ArgumentException>(async () => await memory.CompareAndSetAsync(key, 0, Json("1"), "tests", Ct));
            await Assert.ThrowsAsync<ArgumentException>(async () => await memory.DeleteAsync(key, "tests", Ct));
        }

        MemorySnapshot snapshot = await memory.SnapshotAsync(Ct);
        Assert.Equal(1, snapshot.Sequence);
        Assert.Equal(["valid"], snapshot.Entries.Keys);
    }

    [Fact]
    public async Task SetAsync_EmptyAuthor_ThrowsAskingForTheAuthor()
    {
        await using ISharedMemory memory = await CreateAsync();
        await memory.SetAsync("k", Json("1"), "tests", Ct);

        var set = await Assert.ThrowsAsync<ArgumentException>(async () => await memory.SetAsync("k", Json("2"), " ", Ct));
        var compareAndSet = await Assert.ThrowsAsync<ArgumentException>(async () => await memory.CompareAndSetAsync("k", 1, Json("2"), "", Ct));
        var delete = await Assert.ThrowsAsync<ArgumentException>(async () => await memory.DeleteAsync("k", "", Ct));

        Assert.All(new[] { set, compareAndSet, delete }, e => Assert.Contains("author", e.Message, StringComparison.Ordinal));
        Assert.Equal(1, (await memory.GetAsync("k", Ct))?.Version);
    }

    [Fact]
    public async Task SetAsync_UndefinedValue_ThrowsArgumentException()
    {
        await using ISharedMemory memory = await CreateAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await memory.SetAsync("k", default, "tests", Ct));

        Assert.Equal("value", error.ParamName);
    }

    [Fact]
    public async Task SetAsync_ValueOverTheSizeLimit_ThrowsNamingItsSizeAndTheLimitAndWritesNothing()
    {
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { MaxValueBytes = 32 });
        JsonElement value = JsonSerializer.SerializeToElement(new string('x', 40)); // 42 bytes with its quotes

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await memory.SetAsync("discoveries/big", value, "tests", Ct));

        Assert.Equal("value", error.ParamName);
        Assert.Contains("42 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("the limit is 32", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxValueBytes", error.Message, StringComparison.Ordinal);
        Assert.Null(await memory.GetAsync("discoveries/big", Ct));
        Assert.Equal(0, (await memory.SnapshotAsync(Ct)).Sequence);
    }

    [Fact]
    public async Task SetAsync_ValueAtTheSizeLimit_IsStored()
    {
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { MaxValueBytes = 32 });
        JsonElement value = JsonSerializer.SerializeToElement(new string('x', 30)); // 32 bytes with its quotes

        await memory.SetAsync("k", value, "tests", Ct);

        Assert.Equal(value.GetRawText(), (await memory.GetAsync("k", Ct))?.Value.GetRawText());
    }

    [Fact]
    public async Task CompareAndSetAsync_ValueOverTheSizeLimit_ThrowsArgumentException()
    {
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { MaxValueBytes = 32 });

        var error = await Assert.ThrowsAsync<ArgumentException>(
            async () => await memory.CompareAndSetAsync("k", 0, JsonSerializer.SerializeToElement(new string('x', 40)), "tests", Ct));

        Assert.Contains("the limit is 32", error.Message, StringComparison.Ordinal);
        Assert.Null(await memory.GetAsync("k", Ct));
    }

    // ---- compare-and-set ----

    [Fact]
    public async Task CompareAndSetAsync_VersionZeroOnAnAbsentKey_CreatesTheEntry()
    {
        await using ISharedMemory memory = await CreateAsync();

        CompareAndSetResult result = await memory.CompareAndSetAsync("locks/schema", 0, Json("\"database\""), "database", Ct);

        Assert.True(result.Succeeded);
        Assert.NotNull(result.Current);
        Assert.Equal(1, result.Current.Version);
        Assert.Equal("database", result.Current.Author);
        AssertSameEntry(result.Current, await memory.GetAsync("locks/schema", Ct));
    }

    [Fact]
    public async Task CompareAndSetAsync_VersionZeroOnAnExistingKey_LosesAndReturnsTheCurrentEntry()
    {
        await using ISharedMemory memory = await CreateAsync();
        MemoryEntry winner = await memory.SetAsync("locks/schema", Json("\"database\""), "database", Ct);

        CompareAndSetResult result = await memory.CompareAndSetAsync("locks/schema", 0, Json("\"backend\""), "backend", Ct);

        Assert.False(result.Succeeded);
        Assert.NotNull(result.Current);
        Assert.Equal(winner.Version, result.Current.Version);
        Assert.Equal("\"database\"", result.Current.Value.GetRawText());
        Assert.Equal("database", (await memory.GetAsync("locks/schema", Ct))?.Author);
    }

    [Fact]
    public async Task CompareAndSetAsync_StaleVersion_LosesAndReturnsTheCurrentEntry()
    {
        await using ISharedMemory memory = await CreateAsync();
        MemoryEntry first = await memory.SetAsync("k", Json("1"), "a", Ct);
        MemoryEntry second = await memory.SetAsync("k", Json("2"), "b", Ct);

        CompareAndSetResult result = await memory.CompareAndSetAsync("k", first.Version, Json("3"), "c", Ct);

        Assert.False(result.Succeeded);
        Assert.NotNull(result.Current);
        Assert.Equal(second.Version, result.Current.Version);
        Assert.Equal("2", result.Current.Value.GetRawText());
        Assert.Equal("b", result.Current.Author);
        Assert.Equal(second.Version, (await memory.SnapshotAsync(Ct)).Sequence);
    }

    [Fact]
    public async Task CompareAndSetAsync_CurrentVersion_WinsWithTheNextSequenceNumber()
    {
        await using ISharedMemory memory = await CreateAsync();
        MemoryEntry first = await memory.SetAsync("k", Json("1"), "a", Ct);
        await memory.SetAsync("other", Json("1"), "a", Ct);

        CompareAndSetResult result = await memory.CompareAndSetAsync("k", first.Version, Json("2"), "b", Ct);

        Assert.True(result.Succeeded);
        Assert.Equal(3, result.Current?.Version);
        Assert.Equal("2", (await memory.GetAsync("k", Ct))?.Value.GetRawText());
    }

    [Fact]
    public async Task CompareAndSetAsync_NonZeroVersionOnAnAbsentKey_LosesWithNoCurrentEntry()
    {
        await using ISharedMemory memory = await CreateAsync();
        await memory.SetAsync("other", Json("1"), "a", Ct);

        CompareAndSetResult result = await memory.CompareAndSetAsync("k", 1, Json("2"), "b", Ct);

        Assert.False(result.Succeeded);
        Assert.Null(result.Current);
        Assert.Null(await memory.GetAsync("k", Ct));
    }

    [Fact]
    public async Task CompareAndSetAsync_VersionZeroAfterADelete_CreatesTheEntryAgain()
    {
        await using ISharedMemory memory = await CreateAsync();
        MemoryEntry first = await memory.SetAsync("k", Json("1"), "a", Ct);
        await memory.DeleteAsync("k", "a", Ct);

        CompareAndSetResult stale = await memory.CompareAndSetAsync("k", first.Version, Json("2"), "b", Ct);
        CompareAndSetResult created = await memory.CompareAndSetAsync("k", 0, Json("3"), "b", Ct);

        Assert.False(stale.Succeeded);
        Assert.Null(stale.Current);
        Assert.True(created.Succeeded);
        Assert.Equal(3, created.Current?.Version);
    }

    [Fact]
    public async Task CompareAndSetAsync_EightWritersIncrementOneCounter_FinalValueIsExact()
    {
        const int Writers = 8;
        const int Increments = 10_000;
        await using ISharedMemory memory = await CreateAsync();
        await memory.SetAsync("counter", Number(0), "setup", Ct);

        Task[] writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            string author = $"writer-{w}";
            MemoryEntry current = (await memory.GetAsync("counter", Ct))!;
            for (int done = 0; done < Increments;)
            {
                CompareAndSetResult result = await memory.CompareAndSetAsync("counter", current.Version, Number(current.Value.GetInt64() + 1), author, Ct);
                done += result.Succeeded ? 1 : 0;
                current = result.Current ?? throw new InvalidOperationException("the counter vanished");
            }
        }, Ct)).ToArray();
        await Task.WhenAll(writers);

        MemoryEntry? final = await memory.GetAsync("counter", Ct);
        Assert.NotNull(final);
        Assert.Equal(Writers * Increments, final.Value.GetInt64());

        // The setup wrote sequence 1; each winning compare-and-set took the next number, and no loser took one.
        Assert.Equal(1 + (Writers * Increments), final.Version);
        Assert.Equal(final.Version, (await memory.SnapshotAsync(Ct)).Sequence);
    }

    // ---- the global sequence ----

    [Fact]
    public async Task Writes_FromConcurrentWriters_TakeConsecutiveSequenceNumbers()
    {
        const int Writers = 4;
        const int Operations = 1_000;
        await using ISharedMemory memory = await CreateAsync();
        var versions = new ConcurrentBag<long>();
        int deletes = 0;

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            string own = $"writer/{w}";
            for (int i = 0; i < Operations; i++)
            {
                switch (i % 4)
                {
                    case 0 or 1:
                        versions.Add((await memory.SetAsync(own, Number(i), $"w{w}", Ct)).Version);
                        break;
                    case 2:
                        MemoryEntry? shared = await memory.GetAsync("shared", Ct);
                        CompareAndSetResult result = await memory.CompareAndSetAsync("shared", shared?.Version ?? 0, Number(i), $"w{w}", Ct);
                        if (result.Succeeded)
                        {
                            versions.Add(result.Current!.Version);
                        }

                        break;
                    default:
                        if (await memory.DeleteAsync(own, $"w{w}", Ct))
                        {
                            Interlocked.Increment(ref deletes);
                        }

                        break;
                }
            }
        }, Ct)));

        int total = versions.Count + deletes;
        MemorySnapshot snapshot = await memory.SnapshotAsync(Ct);
        List<MemoryChange> feed = await TakeAsync(memory.WatchAsync("", 0, Ct), total);

        Assert.Equal(total, snapshot.Sequence);
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), feed.Select(c => c.Sequence));
        Assert.Equal(versions.Order(), feed.Where(c => c.Kind == MemoryChangeKind.Set).Select(c => c.Entry!.Version));
        Assert.Equal(deletes, feed.Count(c => c.Kind == MemoryChangeKind.Delete));
    }

    // ---- the change feed ----

    [Fact]
    public async Task WatchAsync_FromZero_YieldsEveryChangeInCommitOrder()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.Zero));
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { TimeProvider = clock });
        await memory.SetAsync("a", Json("1"), "alice", Ct);
        MemoryEntry b = await memory.SetAsync("b", Json("2"), "bob", Ct);
        clock.Now = clock.Now.AddSeconds(1);
        await memory.DeleteAsync("a", "carol", Ct);
        await memory.CompareAndSetAsync("b", b.Version, Json("3"), "dave", Ct);

        List<MemoryChange> changes = await TakeAsync(memory.WatchAsync("", 0, Ct), 4);

        Assert.Equal([1L, 2, 3, 4], changes.Select(c => c.Sequence));
        Assert.Equal(["a", "b", "a", "b"], changes.Select(c => c.Key));
        Assert.Equal([MemoryChangeKind.Set, MemoryChangeKind.Set, MemoryChangeKind.Delete, MemoryChangeKind.Set], changes.Select(c => c.Kind));
        Assert.Equal(["alice", "bob", "carol", "dave"], changes.Select(c => c.Author));
        Assert.Null(changes[2].Entry);
        Assert.Equal(clock.Now, changes[2].Timestamp);
        Assert.Equal("3", changes[3].Entry?.Value.GetRawText());
        Assert.All(changes.Where(c => c.Entry is not null), c => Assert.Equal(c.Sequence, c.Entry!.Version));
        Assert.All(changes.Where(c => c.Entry is not null), c => Assert.Equal(c.Timestamp, c.Entry!.Timestamp));
    }

    [Fact]
    public async Task WatchAsync_FromASequenceInTheMiddle_YieldsExactlyTheRest()
    {
        await using ISharedMemory memory = await CreateAsync();
        for (int i = 1; i <= 10; i++)
        {
            await memory.SetAsync($"k{i % 3}", Number(i), "tests", Ct);
        }

        await using IAsyncEnumerator<MemoryChange> feed = memory.WatchAsync("", 6, Ct).GetAsyncEnumerator(Ct);
        List<MemoryChange> rest = await TakeAsync(feed, 4);
        await memory.SetAsync("k-new", Number(11), "tests", Ct);
        List<MemoryChange> next = await TakeAsync(feed, 1);

        Assert.Equal([7L, 8, 9, 10], rest.Select(c => c.Sequence));
        Assert.Equal([7L, 8, 9, 10], rest.Select(c => c.Entry!.Value.GetInt64()));
        Assert.Equal(11, Assert.Single(next).Sequence);
        Assert.Equal("k-new", next[0].Key);
    }

    [Fact]
    public async Task WatchAsync_NoSequence_StartsWithTheFirstChangeAfterTheCall()
    {
        await using ISharedMemory memory = await CreateAsync();
        await memory.SetAsync("before", Json("1"), "tests", Ct);

        IAsyncEnumerable<MemoryChange> feed = memory.WatchAsync("", null, Ct);
        await memory.SetAsync("after", Json("2"), "tests", Ct);
        List<MemoryChange> changes = await TakeAsync(feed, 1);

        Assert.Equal("after", changes[0].Key);
        Assert.Equal(2, changes[0].Sequence);
    }

    [Fact]
    public async Task WatchAsync_Prefix_YieldsOnlyMatchingKeysWithTheirGlobalSequence()
    {
        await using ISharedMemory memory = await CreateAsync();
        await memory.SetStatusAsync("frontend", new AgentStatusReport("started"), Ct);
        await memory.SetAsync("discoveries/api", Json("1"), "backend", Ct);
        await memory.SetStatusAsync("backend", new AgentStatusReport("started"), Ct);
        await memory.SetAsync("statusX", Json("1"), "backend", Ct);
        await memory.DeleteAsync("status/frontend", "coordinator", Ct);
        await memory.SetAsync("conflicts/x", Json("1"), "tests", Ct);

        List<MemoryChange> changes = await TakeAsync(memory.WatchAsync(SharedMemoryKeys.StatusPrefix, 0, Ct), 3);

        Assert.Equal([1L, 3, 5], changes.Select(c => c.Sequence));
        Assert.Equal(["status/frontend", "status/backend", "status/frontend"], changes.Select(c => c.Key));
        Assert.Equal(MemoryChangeKind.Delete, changes[2].Kind);
    }

    [Fact]
    public async Task WatchAsync_FromASequenceNoLongerRetained_ThrowsChangeFeedTruncated()
    {
        const int Retained = 4;
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { RetainedChanges = Retained });
        for (int i = 1; i <= 40; i++)
        {
            await memory.SetAsync($"k{i % 5}", Number(i), "tests", Ct);
        }

        var error = await Assert.ThrowsAsync<ChangeFeedTruncatedException>(async () =>
        {
            await foreach (MemoryChange change in memory.WatchAsync("", 0, Ct))
            {
                Assert.Fail($"the feed yielded change {change.Sequence} instead of reporting it lost changes");
            }
        });

        Assert.Equal(0, error.RequestedSequence);
        Assert.InRange(error.OldestRetainedSequence, 2, 40 - Retained + 1);
        Assert.Contains("SnapshotAsync", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchAsync_FromTheOldestRetainedSequence_YieldsTheRetainedChanges()
    {
        const int Retained = 4;
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { RetainedChanges = Retained });
        for (int i = 1; i <= 40; i++)
        {
            await memory.SetAsync($"k{i % 5}", Number(i), "tests", Ct);
        }

        List<MemoryChange> changes = await TakeAsync(memory.WatchAsync("", 40 - Retained, Ct), Retained);

        Assert.Equal([37L, 38, 39, 40], changes.Select(c => c.Sequence));
    }

    [Fact]
    public async Task WatchAsync_WhileWritersRun_YieldsConsecutiveSequencesInEachKeysWriteOrder()
    {
        const int Writers = 4;
        const int Writes = 500;
        await using ISharedMemory memory = await CreateAsync();
        IAsyncEnumerable<MemoryChange> feed = memory.WatchAsync("", 0, Ct);
        Task<List<MemoryChange>> watching = TakeAsync(feed, Writers * Writes);

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (int i = 1; i <= Writes; i++)
            {
                await memory.SetAsync($"writer/{w}", Number(i), $"w{w}", Ct);
            }
        }, Ct)));
        List<MemoryChange> changes = await watching;

        Assert.Equal(Enumerable.Range(1, Writers * Writes).Select(i => (long)i), changes.Select(c => c.Sequence));
        foreach (IGrouping<string, MemoryChange> key in changes.GroupBy(c => c.Key))
        {
            Assert.Equal(Enumerable.Range(1, Writes).Select(i => (long)i), key.Select(c => c.Entry!.Value.GetInt64()));
        }
    }

    [Fact]
    public async Task WatchAsync_FromASnapshotsSequence_BringsTheSnapshotUpToDate()
    {
        await using ISharedMemory memory = await CreateAsync();
        var snapshotTaken = new TaskCompletionSource<MemorySnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);

        Task writers = Task.WhenAll(Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < 600; i++)
            {
                string key = $"k{(i + w) % 5}";
                if (i % 7 == 3)
                {
                    await memory.DeleteAsync(key, $"w{w}", Ct);
                }
                else
                {
                    await memory.SetAsync(key, Number((w * 1000) + i), $"w{w}", Ct);
                }

                if (w == 0 && i == 300)
                {
                    snapshotTaken.SetResult(await memory.SnapshotAsync(Ct));
                }
            }
        }, Ct)));
        MemorySnapshot middle = await snapshotTaken.Task;
        await writers;
        MemorySnapshot final = await memory.SnapshotAsync(Ct);

        var state = new Dictionary<string, MemoryEntry>(middle.Entries, StringComparer.Ordinal);
        foreach (MemoryChange change in await TakeAsync(memory.WatchAsync("", middle.Sequence, Ct), (int)(final.Sequence - middle.Sequence)))
        {
            Apply(state, change);
        }

        AssertSameEntries(final.Entries, state, $"snapshot {middle.Sequence} + feed up to {final.Sequence}");
    }

    [Fact]
    public async Task WatchAsync_Cancelled_EndsTheStream()
    {
        await using ISharedMemory memory = await CreateAsync();
        using var cancellation = new CancellationTokenSource();
        await using IAsyncEnumerator<MemoryChange> feed = memory.WatchAsync("", null, cancellation.Token).GetAsyncEnumerator(Ct);
        ValueTask<bool> next = feed.MoveNextAsync();

        await cancellation.CancelAsync();

        Assert.True(await EndsAsync(next), "the stream yielded a change nobody wrote");
    }

    [Fact]
    public async Task WatchAsync_StoreDisposed_EndsTheStream()
    {
        ISharedMemory memory = await CreateAsync();
        await using IAsyncEnumerator<MemoryChange> feed = memory.WatchAsync("", null, Ct).GetAsyncEnumerator(Ct);
        ValueTask<bool> next = feed.MoveNextAsync();

        await memory.DisposeAsync();

        Assert.True(await EndsAsync(next), "the stream yielded a change nobody wrote");
    }

    // ---- snapshots ----

    [Fact]
    public async Task SnapshotAsync_EmptyStore_HasSequenceZeroAndNoEntries()
    {
        await using ISharedMemory memory = await CreateAsync();

        MemorySnapshot snapshot = await memory.SnapshotAsync(Ct);

        Assert.Equal(0, snapshot.Sequence);
        Assert.Empty(snapshot.Entries);
    }

    [Fact]
    public async Task SnapshotAsync_AfterWrites_HasTheLiveEntriesAndTheLastSequence()
    {
        await using ISharedMemory memory = await CreateAsync();
        await memory.SetAsync("a", Json("1"), "tests", Ct);
        MemoryEntry b = await memory.SetAsync("b", Json("2"), "tests", Ct);
        await memory.DeleteAsync("a", "tests", Ct);

        MemorySnapshot snapshot = await memory.SnapshotAsync(Ct);

        Assert.Equal(3, snapshot.Sequence);
        Assert.Equal("b", Assert.Single(snapshot.Entries).Key);
        AssertSameEntry(b, snapshot.Entries["b"]);
    }

    [Fact]
    public Task SnapshotAsync_WhileWritersRun_SeesOnePointInTime() =>
        AssertPairInvariantAsync(async memory =>
        {
            MemorySnapshot snapshot = await memory.SnapshotAsync(Ct);
            return (snapshot.Sequence, snapshot.Entries.Values.ToList());
        });

    [Fact]
    public Task ListAsync_WhileWritersRun_SeesOnePointInTime() =>
        AssertPairInvariantAsync(async memory => (null, await memory.ListAsync("pair/", Ct)));

    [Fact]
    public async Task SnapshotAsync_WhileWritersRun_EqualsTheFeedReplayedToItsSequence()
    {
        const int Writers = 3;
        const int Operations = 1_500;
        const int DistinctSnapshots = 20;
        const int MaxOperations = 100_000;

        // The whole feed is replayed at the end, so the store must retain every write the test can make.
        await using ISharedMemory memory = await CreateAsync(new SharedMemoryOptions { RetainedChanges = 1 << 19 });
        var snapshots = new List<MemorySnapshot>();
        var readerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int distinct = 0;
        int running = Writers;

        // Writers go on past their share until the reader has seen the store at enough different sequences, so the
        // snapshots really are taken while writes land, however the threads are scheduled (on a busy 2-core machine a
        // reader and a writer sharing a core may each run for a whole time slice, so this can take tens of thousands
        // of writes).
        Task writers = Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            await readerStarted.Task;
            var random = new Random(1_000 + w);
            for (int i = 0; i < MaxOperations && (i < Operations || Volatile.Read(ref distinct) < DistinctSnapshots); i++)
            {
                string key = $"k{random.Next(8)}";
                int dice = random.Next(10);
                if (dice < 5)
                {
                    await memory.SetAsync(key, Number(i), $"w{w}", Ct);
                }
                else if (dice < 7)
                {
                    await memory.DeleteAsync(key, $"w{w}", Ct);
                }
                else
                {
                    MemoryEntry? current = await memory.GetAsync(key, Ct);
                    await memory.CompareAndSetAsync(key, current?.Version ?? 0, Number(-i), $"w{w}", Ct);
                }
            }

            Interlocked.Decrement(ref running);
        }, Ct)));
        Task reader = Task.Run(async () =>
        {
            long last = -1;
            while (Volatile.Read(ref running) > 0)
            {
                MemorySnapshot snapshot = await memory.SnapshotAsync(Ct);
                if (snapshot.Sequence != last)
                {
                    snapshots.Add(snapshot);
                    Interlocked.Increment(ref distinct);
                    last = snapshot.Sequence;
                }

                readerStarted.TrySetResult();
            }
        }, Ct);
        await Task.WhenAll(writers, reader);
        MemorySnapshot final = await memory.SnapshotAsync(Ct);
        snapshots.Add(final);

        List<MemoryChange> feed = await TakeAsync(memory.WatchAsync("", 0, Ct), (int)final.Sequence);
        var state = new Dictionary<string, MemoryEntry>(StringComparer.Ordinal);
        int replayed = 0;
        foreach (MemorySnapshot snapshot in snapshots.OrderBy(s => s.Sequence))
        {
            for (; replayed < snapshot.Sequence; replayed++)
            {
                Apply(state, feed[replayed]);
            }

            AssertSameEntries(state, snapshot.Entries, $"snapshot at sequence {snapshot.Sequence}");
        }

        Assert.True(distinct >= DistinctSnapshots, $"only {distinct} snapshots were taken while the writers ran");
    }

    // ---- typed helpers ----

    [Fact]
    public async Task ReportDiscoveryAsync_Discovery_IsStoredUnderDiscoveriesAsCamelCaseJsonAndListed()
    {
        await using ISharedMemory memory = await CreateAsync();

        MemoryEntry entry = await memory.ReportDiscoveryAsync("api-routes", new ApiRoutes(["/tasks", "/users"]), "backend", Ct);

        Assert.Equal("discoveries/api-routes", entry.Key);
        Assert.Equal("backend", entry.Author);
        Assert.Equal("""{"routes":["/tasks","/users"]}""", entry.Value.GetRawText());
        Assert.Equal(["/tasks", "/users"], (await memory.GetValueAsync<ApiRoutes>("discoveries/api-routes", Ct))?.Routes);
        AssertSameEntry(entry, Assert.Single(await memory.ListDiscoveriesAsync(Ct)));
    }

    [Fact]
    public async Task ReportConflictAsync_Conflict_IsStoredUnderConflictsAndReadsBack()
    {
        await using ISharedMemory memory = await CreateAsync();
        var conflict = new ConflictReport("both agents changed the task model", ["src/models/task.ts"], ["backend", "database"], Predicted: true);

        MemoryEntry entry = await memory.ReportConflictAsync("task-model", conflict, "coordinator", Ct);
        ConflictReport? read = await memory.GetValueAsync<ConflictReport>(SharedMemoryKeys.Conflict("task-model"), Ct);

        Assert.Equal("conflicts/task-model", entry.Key);
        Assert.NotNull(read);
        Assert.Equal(conflict.Description, read.Description);
        Assert.Equal(conflict.Files, read.Files);
        Assert.Equal(conflict.Tasks, read.Tasks);
        Assert.True(read.Predicted);
        AssertSameEntry(entry, Assert.Single(await memory.ListConflictsAsync(Ct)));
    }

    [Fact]
    public async Task SetStatusAsync_Status_IsStoredUnderStatusWithTheAgentAsAuthor()
    {
        await using ISharedMemory memory = await CreateAsync();

        await memory.SetStatusAsync("frontend", new AgentStatusReport("started", "building the task list"), Ct);
        MemoryEntry entry = await memory.SetStatusAsync("frontend", new AgentStatusReport("completed"), Ct);

        Assert.Equal("status/frontend", entry.Key);
        Assert.Equal("frontend", entry.Author);
        Assert.Equal(new AgentStatusReport("completed"), await memory.GetValueAsync<AgentStatusReport>("status/frontend", Ct));
        Assert.Equal(["status/frontend"], (await memory.ListAsync(SharedMemoryKeys.StatusPrefix, Ct)).Select(e => e.Key));
    }

    [Fact]
    public async Task GetValueAsync_MissingKey_ReturnsDefault()
    {
        await using ISharedMemory memory = await CreateAsync();

        Assert.Null(await memory.GetValueAsync<AgentStatusReport>("status/nobody", Ct));
        Assert.Equal(0, await memory.GetValueAsync<int>("counters/none", Ct));
    }

    [Fact]
    public async Task GetValueAsync_ValueOfAnotherShape_ThrowsJsonException()
    {
        await using ISharedMemory memory = await CreateAsync();
        await memory.SetAsync("counters/x", Json("\"not a number\""), "tests", Ct);

        await Assert.ThrowsAsync<JsonException>(async () => await memory.GetValueAsync<int>("counters/x", Ct));
    }

    // ---- helpers ----

    protected static JsonElement Json(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    protected static JsonElement Number(long value) => JsonSerializer.SerializeToElement(value);

    /// <summary>Takes the next <paramref name="count"/> changes, failing (not hanging) if they do not come.</summary>
    protected static async Task<List<MemoryChange>> TakeAsync(IAsyncEnumerable<MemoryChange> changes, int count)
    {
        await using IAsyncEnumerator<MemoryChange> feed = changes.GetAsyncEnumerator(Ct);
        return await TakeAsync(feed, count);
    }

    /// <summary>Takes the next <paramref name="count"/> changes from an open feed.</summary>
    protected static async Task<List<MemoryChange>> TakeAsync(IAsyncEnumerator<MemoryChange> feed, int count)
    {
        var taken = new List<MemoryChange>(count);
        while (taken.Count < count)
        {
            ValueTask<bool> move = feed.MoveNextAsync();
            bool moved;
            try
            {
                moved = move.IsCompleted ? await move : await move.AsTask().WaitAsync(FeedTimeout, Ct);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"the feed yielded {taken.Count} of {count} changes, then nothing for {FeedTimeout.TotalSeconds} s");
                throw;
            }

            if (!moved)
            {
                Assert.Fail($"the feed ended after {taken.Count} of {count} changes");
            }

            taken.Add(feed.Current);
        }

        return taken;
    }

    /// <summary>Compares entries by content: a store may hand out a new <see cref="JsonElement"/> on every read.</summary>
    protected static void AssertSameEntry(MemoryEntry? expected, MemoryEntry? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.Author, actual.Author);
        Assert.Equal(expected.Timestamp, actual.Timestamp);
        Assert.Equal(expected.Value.GetRawText(), actual.Value.GetRawText());
    }

    private static async Task<bool> EndsAsync(ValueTask<bool> next)
    {
        try
        {
            return !await next.AsTask().WaitAsync(FeedTimeout, Ct);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && !Ct.IsCancellationRequested)
        {
            return true;
        }
    }

    private static void Apply(Dictionary<string, MemoryEntry> state, MemoryChange change)
    {
        if (change.Kind == MemoryChangeKind.Set)
        {
            state[change.Key] = change.Entry!;
        }
        else
        {
            Assert.True(state.Remove(change.Key), $"change {change.Sequence} deleted '{change.Key}', which had no value");
        }
    }

    private static void AssertSameEntries(IReadOnlyDictionary<string, MemoryEntry> expected, IReadOnlyDictionary<string, MemoryEntry> actual, string what)
    {
        Assert.True(
            expected.Count == actual.Count && expected.All(e => actual.TryGetValue(e.Key, out MemoryEntry? a) && Same(e.Value, a)),
            $"{what}: expected {Describe(expected)}, got {Describe(actual)}");

        static bool Same(MemoryEntry x, MemoryEntry y) =>
            x.Key == y.Key && x.Version == y.Version && x.Author == y.Author && x.Timestamp == y.Timestamp && x.Value.GetRawText() == y.Value.GetRawText();

        static string Describe(IReadOnlyDictionary<string, MemoryEntry> entries) =>
            "{" + string.Join(", ", entries.Values.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}@{e.Version}={e.Value.GetRawText()}")) + "}";
    }

    /// <summary>
    /// Two writers move a pair of counters forward by compare-and-set so that at every point in time x is y or y + 1
    /// (x moves only when they are equal, y only when x leads); a read that mixed two points in time could see y ahead
    /// of x, or x two ahead. Readers check the invariant on many reads taken while the writers run.
    /// </summary>
    private async Task AssertPairInvariantAsync(Func<ISharedMemory, Task<(long? Sequence, IReadOnlyList<MemoryEntry> Entries)>> read)
    {
        const int ReadsPerReader = 300;
        const int DistinctReads = 50;
        const int MaxReadsPerReader = 1_000_000;
        await using ISharedMemory memory = await CreateAsync();
        await memory.SetAsync("pair/x", Number(0), "setup", Ct);
        await memory.SetAsync("pair/y", Number(0), "setup", Ct);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int stop = 0;

        Task[] writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                MemoryEntry x = (await memory.GetAsync("pair/x", Ct))!;
                MemoryEntry y = (await memory.GetAsync("pair/y", Ct))!;
                long xv = x.Value.GetInt64();
                long yv = y.Value.GetInt64();
                if (xv == yv)
                {
                    await memory.CompareAndSetAsync("pair/x", x.Version, Number(xv + 1), $"w{w}", Ct);
                }
                else if (xv == yv + 1)
                {
                    await memory.CompareAndSetAsync("pair/y", y.Version, Number(yv + 1), $"w{w}", Ct);
                }

                if (xv >= 10)
                {
                    started.TrySetResult();
                }
            }
        }, Ct)).ToArray();

        await started.Task.WaitAsync(FeedTimeout, Ct);
        var violations = new ConcurrentQueue<string>();
        var sequences = new ConcurrentDictionary<long, bool>();
        try
        {
            // Each reader reads until it has seen the pair at enough different points, however the threads are
            // scheduled (bounded, so a store whose writers stall fails the assertion below instead of hanging).
            await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                for (int i = 0; i < MaxReadsPerReader && (i < ReadsPerReader || sequences.Count < DistinctReads); i++)
                {
                    (long? sequence, IReadOnlyList<MemoryEntry> entries) = await read(memory);
                    MemoryEntry? x = entries.FirstOrDefault(e => e.Key == "pair/x");
                    MemoryEntry? y = entries.FirstOrDefault(e => e.Key == "pair/y");
                    if (x is null || y is null)
                    {
                        violations.Enqueue($"a read missed a key: {string.Join(", ", entries.Select(e => e.Key))}");
                        continue;
                    }

                    long xv = x.Value.GetInt64();
                    long yv = y.Value.GetInt64();
                    long last = Math.Max(x.Version, y.Version);
                    sequences.TryAdd(last, true);
                    if (xv != yv && xv != yv + 1)
                    {
                        violations.Enqueue($"x = {xv} (version {x.Version}), y = {yv} (version {y.Version})");
                    }

                    if (sequence is { } s && s != last)
                    {
                        violations.Enqueue($"snapshot at sequence {s} holds writes up to {last}");
                    }
                }
            }, Ct)));
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            await Task.WhenAll(writers);
        }

        Assert.Empty(violations);
        Assert.True(sequences.Count >= DistinctReads, $"the reads saw only {sequences.Count} different points in time");
    }

    internal sealed record ApiRoutes(IReadOnlyList<string> Routes);

    /// <summary>A clock the test sets by hand (the contract tests cannot depend on Microsoft.Extensions.TimeProvider.Testing).</summary>
    protected sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
