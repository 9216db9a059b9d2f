using Microsoft.Extensions.Time.Testing;

namespace ParallelAgents.Sdk.Tests.Memory;

public class InMemorySharedMemoryTests : SharedMemoryContractTests
{
    protected override ValueTask<ISharedMemory> CreateAsync(SharedMemoryOptions options) =>
        ValueTask.FromResult<ISharedMemory>(new InMemorySharedMemory(options));

    [Fact]
    public void Constructor_OptionOutOfRange_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new InMemorySharedMemory(new SharedMemoryOptions { RetainedChanges = 0 }));

        Assert.Equal("RetainedChanges", error.ParamName);
    }

    [Fact]
    public void Constructor_RetainedChangesAboveTheMaximum_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new InMemorySharedMemory(new SharedMemoryOptions { RetainedChanges = InMemorySharedMemory.MaxRetainedChanges + 1 }));

        Assert.Equal("RetainedChanges", error.ParamName);
    }

    [Fact]
    public async Task Constructor_OptionsChangedAfterwards_KeepsTheLimitsItWasGiven()
    {
        var options = new SharedMemoryOptions { MaxKeyLength = 8 };
        await using var memory = new InMemorySharedMemory(options);

        options.MaxKeyLength = 100;

        await Assert.ThrowsAsync<ArgumentException>(async () => await memory.SetAsync("longer-than-8", Number(1), "tests", Ct));
    }

    [Fact]
    public async Task SharedMemoryInMemory_Options_MakesAnInMemoryStoreWithThem()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using ISharedMemory memory = SharedMemory.InMemory(new SharedMemoryOptions { TimeProvider = clock });

        MemoryEntry entry = await memory.SetAsync("k", Number(1), "tests", Ct);

        Assert.IsType<InMemorySharedMemory>(memory);
        Assert.Equal(clock.GetUtcNow(), entry.Timestamp);
    }

    [Fact]
    public async Task EveryMethod_AfterDispose_ThrowsObjectDisposed()
    {
        var memory = new InMemorySharedMemory();
        await memory.SetAsync("k", Number(1), "tests", Ct);

        await memory.DisposeAsync();
        await memory.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await memory.GetAsync("k", Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await memory.SetAsync("k", Number(1), "tests", Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await memory.CompareAndSetAsync("k", 1, Number(1), "tests", Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await memory.DeleteAsync("k", "tests", Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await memory.ListAsync("", Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await memory.SnapshotAsync(Ct));
        Assert.Throws<ObjectDisposedException>(() => memory.WatchAsync("", 0, Ct));
    }

    [Fact]
    public async Task Methods_CancelledToken_WriteNothing()
    {
        await using var memory = new InMemorySharedMemory();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await memory.SetAsync("k", Number(1), "tests", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await memory.CompareAndSetAsync("k", 0, Number(1), "tests", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await memory.GetAsync("k", cancelled.Token));

        Assert.Equal(0, (await memory.SnapshotAsync(Ct)).Sequence);
    }

    [Fact]
    public async Task CompareAndSetAsync_NegativeVersion_ThrowsArgumentOutOfRange()
    {
        await using var memory = new InMemorySharedMemory();

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await memory.CompareAndSetAsync("k", -1, Number(1), "tests", Ct));

        Assert.Equal("expectedVersion", error.ParamName);
    }

    [Fact]
    public async Task WatchAsync_NegativeSequence_ThrowsArgumentOutOfRangeAtTheCall()
    {
        await using var memory = new InMemorySharedMemory();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => memory.WatchAsync("", -1, Ct));

        Assert.Equal("fromSequence", error.ParamName);
    }

    [Fact]
    public async Task WatchAsync_TruncatedSequence_ThrowsAtTheCallNamingTheOldestRetained()
    {
        await using var memory = new InMemorySharedMemory(new SharedMemoryOptions { RetainedChanges = 100 });
        for (int i = 0; i < 1_000; i++)
        {
            await memory.SetAsync("k", Number(i), "tests", Ct);
        }

        var error = Assert.Throws<ChangeFeedTruncatedException>(() => memory.WatchAsync("", 10, Ct));

        // 100 rounds up to 128: the latest 128 changes are kept.
        Assert.Equal(10, error.RequestedSequence);
        Assert.Equal(1_000 - 128 + 1, error.OldestRetainedSequence);
        Assert.Contains("after sequence 10", error.Message, StringComparison.Ordinal);
        Assert.Equal(128, (await TakeAsync(memory.WatchAsync("", 1_000 - 128, Ct), 128)).Count);
    }

    [Fact]
    public async Task WatchAsync_SequenceNotReachedYet_WaitsForTheChangesAfterIt()
    {
        await using var memory = new InMemorySharedMemory();
        await memory.SetAsync("k", Number(1), "tests", Ct);
        await using IAsyncEnumerator<MemoryChange> feed = memory.WatchAsync("", 3, Ct).GetAsyncEnumerator(Ct);

        for (int i = 2; i <= 4; i++)
        {
            await memory.SetAsync("k", Number(i), "tests", Ct);
        }

        Assert.Equal(4, Assert.Single(await TakeAsync(feed, 1)).Sequence);
    }

    [Fact]
    public async Task WatchAsync_SeveralWaitingWatchers_AllWakeOnOneWrite()
    {
        await using var memory = new InMemorySharedMemory();
        IAsyncEnumerator<MemoryChange>[] feeds = [.. Enumerable.Range(0, 5).Select(_ => memory.WatchAsync("", null, Ct).GetAsyncEnumerator(Ct))];
        Task<List<MemoryChange>>[] waiting = [.. feeds.Select(feed => TakeAsync(feed, 1))];

        await memory.SetAsync("k", Number(1), "tests", Ct);

        foreach (Task<List<MemoryChange>> watcher in waiting)
        {
            Assert.Equal(1, Assert.Single(await watcher).Sequence);
        }

        foreach (IAsyncEnumerator<MemoryChange> feed in feeds)
        {
            await feed.DisposeAsync();
        }
    }

    [Fact]
    public async Task WatchAsync_WatcherLappedByWriters_ThrowsChangeFeedTruncatedAndHeldNoOneUp()
    {
        await using var memory = new InMemorySharedMemory(new SharedMemoryOptions { RetainedChanges = 16 });
        await using IAsyncEnumerator<MemoryChange> idle = memory.WatchAsync("", 0, Ct).GetAsyncEnumerator(Ct);
        await memory.SetAsync("first", Number(0), "tests", Ct);
        Assert.True(await idle.MoveNextAsync());
        Assert.Equal(1, idle.Current.Sequence);

        for (int i = 0; i < 50_000; i++)
        {
            await memory.SetAsync($"k{i % 100}", Number(i), "tests", Ct);
        }

        var error = await Assert.ThrowsAsync<ChangeFeedTruncatedException>(async () => await idle.MoveNextAsync());
        Assert.Equal(1, error.RequestedSequence);
        Assert.Equal(50_001 - 16 + 1, error.OldestRetainedSequence);
    }

    [Fact]
    public async Task CompareAndSetAsync_SmallestLogAndConcurrentWriters_CountsExactlyWithoutGaps()
    {
        // A log of two places is lapped on nearly every write: catching up must skip what the lap already applied.
        const int Writers = 4;
        const int Increments = 2_000;
        await using var memory = new InMemorySharedMemory(new SharedMemoryOptions { RetainedChanges = 1 });
        await memory.SetAsync("counter", Number(0), "setup", Ct);

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (int done = 0; done < Increments;)
            {
                MemoryEntry current = (await memory.GetAsync("counter", Ct))!;
                CompareAndSetResult result = await memory.CompareAndSetAsync("counter", current.Version, Number(current.Value.GetInt64() + 1), $"w{w}", Ct);
                if (result.Succeeded)
                {
                    done++;
                    await memory.SetAsync($"other/{w}", Number(done), $"w{w}", Ct);
                }
            }
        }, Ct)));

        MemoryEntry? final = await memory.GetAsync("counter", Ct);
        MemorySnapshot snapshot = await memory.SnapshotAsync(Ct);
        Assert.Equal(Writers * Increments, final?.Value.GetInt64());
        Assert.Equal(1 + (2 * Writers * Increments), snapshot.Sequence);
        Assert.Equal(snapshot.Sequence, snapshot.Entries.Values.Max(e => e.Version));
    }

    [Fact]
    public async Task Writes_WriterPausedBetweenItsCommitAndItsApply_OthersFinishItsWriteAndGoOn()
    {
        await using var memory = new InMemorySharedMemory();
        using var committed = new ManualResetEventSlim();
        using var resume = new ManualResetEventSlim();
        int paused = 0;
        memory.Log.AfterCommit = _ =>
        {
            // Only the first writer pauses, holding sequence 1, until the others are done.
            if (Interlocked.Exchange(ref paused, 1) == 0)
            {
                committed.Set();
                resume.Wait(Ct);
            }
        };
        Task<MemoryEntry> stalled = Task.Factory.StartNew(
            () => memory.SetAsync("a", Number(1), "paused", Ct).AsTask().GetAwaiter().GetResult(),
            Ct,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        try
        {
            committed.Wait(Ct);

            MemoryEntry other = await memory.SetAsync("b", Number(2), "other", Ct);
            MemoryEntry? helped = await memory.GetAsync("a", Ct);
            CompareAndSetResult next = await memory.CompareAndSetAsync("a", 1, Number(3), "other", Ct);

            Assert.Equal(2, other.Version);
            Assert.Equal(1, helped?.Version);
            Assert.Equal("paused", helped?.Author);
            Assert.True(next.Succeeded);
            Assert.Equal(3, next.Current?.Version);
        }
        finally
        {
            resume.Set();
        }

        MemoryEntry own = await stalled;
        Assert.Equal(1, own.Version);

        // Its late apply did not bring the older value back, and the feed has every write once, in order.
        Assert.Equal(3, (await memory.GetAsync("a", Ct))?.Version);
        List<MemoryChange> changes = await TakeAsync(memory.WatchAsync("", 0, Ct), 3);
        Assert.Equal([(1L, "a"), (2L, "b"), (3L, "a")], changes.Select(c => (c.Sequence, c.Key)));
    }

    [Fact]
    public async Task Writes_CopierPausedForLapsOfTheRing_OthersGoOnAndEveryRetainedChangeReadsBackWhole()
    {
        // 8 places: the writer of sequence 1 holds its place's copy while later writes go round the ring twice, so
        // the place's next records (9 and 17) cannot be copied and stay in the ring as objects.
        await using var memory = new InMemorySharedMemory(new SharedMemoryOptions { RetainedChanges = 8 });
        using var copying = new ManualResetEventSlim();
        using var resume = new ManualResetEventSlim();
        int paused = 0;
        memory.Log.WhileCopying = sequence =>
        {
            if (sequence == 1 && Interlocked.Exchange(ref paused, 1) == 0)
            {
                copying.Set();
                resume.Wait(Ct);
            }
        };
        Task<MemoryEntry> stalled = Task.Factory.StartNew(
            () => memory.SetAsync("a", Number(1), "paused", Ct).AsTask().GetAwaiter().GetResult(),
            Ct,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        try
        {
            copying.Wait(Ct);
            for (long i = 2; i <= 21; i++)
            {
                Assert.Equal(i, (await memory.SetAsync($"k{i % 3}", Number(i), "other", Ct)).Version);
            }

            AssertChanges(await TakeAsync(memory.WatchAsync("", 13, Ct), 8), 14);
            MemorySnapshot snapshot = await memory.SnapshotAsync(Ct);
            Assert.Equal(21, snapshot.Sequence);
            Assert.Equal(1, snapshot.Entries["a"].Version);
            Assert.Equal([19L, 20L, 21L], snapshot.Entries.Values.Where(e => e.Key != "a").Select(e => e.Version).Order());
        }
        finally
        {
            resume.Set();
        }

        Assert.Equal(1, (await stalled).Version);

        // Its copy finished a lap late and its token lost to the later record; the place copies again from the next lap.
        for (long i = 22; i <= 30; i++)
        {
            await memory.SetAsync($"k{i % 3}", Number(i), "other", Ct);
        }

        AssertChanges(await TakeAsync(memory.WatchAsync("", 22, Ct), 8), 23);
        Assert.Throws<ChangeFeedTruncatedException>(() => memory.WatchAsync("", 21, Ct));

        static void AssertChanges(List<MemoryChange> changes, long first)
        {
            Assert.Equal(Enumerable.Range((int)first, changes.Count).Select(i => (long)i), changes.Select(c => c.Sequence));
            Assert.All(changes, c =>
            {
                Assert.Equal($"k{c.Sequence % 3}", c.Key);
                Assert.Equal(c.Sequence, c.Entry?.Value.GetInt64());
                Assert.Equal(c.Sequence, c.Entry?.Version);
                Assert.Equal("other", c.Author);
            });
        }
    }

    [Fact]
    public async Task GetAsync_EntryReturnedBySet_IsTheSameInstance()
    {
        await using var memory = new InMemorySharedMemory();

        MemoryEntry written = await memory.SetAsync("k", Number(1), "tests", Ct);

        Assert.Same(written, await memory.GetAsync("k", Ct));
    }

    [Fact]
    public async Task Writes_ManyNewKeysFromConcurrentWriters_AreAllListedOnce()
    {
        const int Writers = 4;
        const int Keys = 5_000;
        await using var memory = new InMemorySharedMemory();

        // Every writer writes every key, so the trie's inserts race on the same keys.
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < Keys; i++)
            {
                int k = (i * (w + 1) * 7919) % Keys;
                await memory.SetAsync($"discoveries/{k:D5}", Number(w), $"w{w}", Ct);
            }
        }, Ct)));

        IReadOnlyList<MemoryEntry> listed = await memory.ListAsync(SharedMemoryKeys.DiscoveriesPrefix, Ct);
        MemorySnapshot snapshot = await memory.SnapshotAsync(Ct);

        Assert.Equal(Enumerable.Range(0, Keys).Select(k => $"discoveries/{k:D5}"), listed.Select(e => e.Key));
        Assert.Equal(Writers * Keys, snapshot.Sequence);
        Assert.Equal(Keys, snapshot.Entries.Count);
    }

    [Fact]
    public async Task SnapshotAsync_WhileNewKeysAreAdded_HoldsExactlyTheKeysWrittenUpToItsSequence()
    {
        const int Keys = 20_000;
        const int Chunk = 1_000;
        await using var memory = new InMemorySharedMemory();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var chunkWritten = new SemaphoreSlim(0);
        using var snapshotTakenAfterChunk = new SemaphoreSlim(0);
        int done = 0;
        Task writer = Task.Run(async () =>
        {
            // Key i is written by write i + 1, so a snapshot at sequence s holds keys 0 to s - 1. Snapshots race the
            // writes inside each chunk; between chunks the writer waits for one snapshot that saw the whole chunk,
            // so the test sees many points in time however the threads are scheduled.
            await started.Task;
            for (int i = 0; i < Keys; i++)
            {
                await memory.SetAsync($"k/{i:D7}", Number(i), "writer", Ct);
                if ((i + 1) % Chunk == 0)
                {
                    chunkWritten.Release();
                    await snapshotTakenAfterChunk.WaitAsync(Ct);
                }
            }

            Volatile.Write(ref done, 1);
        }, Ct);

        var sequences = new HashSet<long>();
        while (Volatile.Read(ref done) == 0)
        {
            bool chunkWasDone = chunkWritten.Wait(0, Ct);
            MemorySnapshot snapshot = await memory.SnapshotAsync(Ct);
            started.TrySetResult();
            sequences.Add(snapshot.Sequence);
            Assert.Equal(snapshot.Sequence, snapshot.Entries.Count);
            Assert.All(snapshot.Entries.Values, e => Assert.Equal(e.Version - 1, e.Value.GetInt64()));
            if (chunkWasDone)
            {
                snapshotTakenAfterChunk.Release();
            }
        }

        await writer;
        Assert.True(sequences.Count >= Keys / Chunk, $"only {sequences.Count} distinct snapshots were taken while the writer ran");
    }
}
