using System.Runtime.CompilerServices;
using System.Text.Json;
using ParallelAgents.Sdk.InMemory;

namespace ParallelAgents.Sdk.Tests.Memory.InMemory;

public class CommitLogTests
{
    [Fact]
    public void CatchUp_RecordClaimedButNotApplied_AppliesItForTheStalledWriter()
    {
        var keys = new KeyTrie();
        var log = new CommitLog(retained: 8, keys);
        KeySlot slot = keys.GetOrAdd("k");
        MemoryEntry first = Entry(slot, 1);
        Assert.True(log.TryAppend(log.CatchUp(), first, slot));
        MemoryEntry second = Entry(slot, 2);

        // A writer that won the claim of sequence 2 and stalled before applying it (the hint not yet written either).
        Assert.True(log.TryClaim(1, second));
        Assert.Same(first, slot.State);
        Assert.Equal(1, log.FindApplied());
        Assert.Equal(2, log.FindLast());
        Assert.Same(second, log.ReadCommitted(2));
        Assert.Null(log.ReadApplied(2));

        long last = log.CatchUp();

        Assert.Equal(2, last);
        Assert.Equal(2, log.FindApplied());
        Assert.Same(second, slot.State);
    }

    [Fact]
    public void TryAppend_SequenceAlreadyClaimed_Fails()
    {
        var keys = new KeyTrie();
        var log = new CommitLog(retained: 8, keys);
        KeySlot slot = keys.GetOrAdd("k");

        bool first = log.TryAppend(0, Entry(slot, 1), slot);
        bool second = log.TryAppend(0, Entry(slot, 1), slot);

        Assert.True(first);
        Assert.False(second);
        Assert.Equal(1, log.FindApplied());
    }

    [Fact]
    public void Apply_OlderStateAfterANewerOne_KeepsTheNewer()
    {
        var slot = new KeySlot("k", 0);
        MemoryEntry newer = Entry(slot, 5);

        slot.Apply(newer, 5);
        slot.Apply(Entry(slot, 3), 3);
        slot.Apply(newer, 5);

        Assert.Same(newer, slot.State);
    }

    [Fact]
    public void TryAppend_AnotherWriterCommittedAfterTheCatchUp_FailsAndTheRetryTakesTheNextNumber()
    {
        var keys = new KeyTrie();
        var log = new CommitLog(retained: 8, keys);
        KeySlot slot = keys.GetOrAdd("k");
        long last = log.CatchUp(out object? successor);
        object? state = slot.State;
        MemoryEntry late = Entry(slot, last + 1);

        // Another writer commits sequence 1 between this writer's look at the log and its claim.
        Assert.True(log.TryAppend(log.CatchUp(out object? other), other, Entry(slot, 1), slot, slot.State));
        bool first = log.TryAppend(last, successor, late, slot, state);
        last = log.CatchUp(out successor);
        KeySlot.Renumber(late, last + 1);
        bool retry = log.TryAppend(last, successor, late, slot, slot.State);

        Assert.False(first);
        Assert.True(retry);
        Assert.Equal(2, late.Version);
        Assert.Same(late, slot.State);

        // Out of the ring once copied: the log gives an equal entry made from its copy.
        Assert.Equal(late, log.ReadApplied(2));
        Assert.Equal(1, ((MemoryEntry)log.ReadApplied(1)!).Version);
    }

    [Fact]
    public void ApplyCommitted_AfterAHelperAppliedTheRecordAndALaterWriteCame_KeepsTheLater()
    {
        var slot = new KeySlot("k", 0);
        MemoryEntry first = Entry(slot, 1);
        MemoryEntry second = Entry(slot, 2);
        MemoryEntry third = Entry(slot, 3);
        slot.Apply(first, 1);

        // The writer of 'second' paused after its commit: a helper applied it, and a later write followed.
        slot.Apply(second, 2);
        slot.Apply(third, 3);
        slot.ApplyCommitted(first, second);

        Assert.Same(third, slot.State);
    }

    [Fact]
    public void Renumber_EntryNotPublishedYet_ChangesItsVersionAndNothingElse()
    {
        var entry = new MemoryEntry("k", JsonSerializer.SerializeToElement(7), 0, "tests", DateTimeOffset.UnixEpoch);

        KeySlot.Renumber(entry, 42);

        Assert.Equal(new MemoryEntry("k", JsonSerializer.SerializeToElement(7), 42, "tests", DateTimeOffset.UnixEpoch), entry);
    }

    [Fact]
    public void Read_MoreWritesThanTheCapacity_KeepsTheLatestAndReportsTheRestLost()
    {
        var keys = new KeyTrie();
        var log = new CommitLog(retained: 12, keys);
        KeySlot slot = keys.GetOrAdd("k");
        for (int i = 1; i <= 100; i++)
        {
            Assert.True(log.TryAppend(log.CatchUp(), Entry(slot, i), slot));
        }

        Assert.Equal(16, log.Capacity);
        Assert.Equal(96, log.AppliedHint);
        Assert.Equal(100, log.FindApplied());
        Assert.Equal(85, log.OldestRetained());
        Assert.Equal(85, ((MemoryEntry)log.ReadCommitted(85)!).Version);
        Assert.Equal(100, ((MemoryEntry)log.ReadApplied(100)!).Version);
        Assert.Null(log.ReadCommitted(101));
        Assert.Null(log.ReadApplied(101));
        Assert.True(log.IsLost(84));
        Assert.False(log.IsLost(85));
        var error = Assert.Throws<ChangeFeedTruncatedException>(() => log.ReadApplied(84));
        Assert.Equal(83, error.RequestedSequence);
        Assert.Equal(85, error.OldestRetainedSequence);
    }

    [Fact]
    public async Task CatchUp_FromAnotherThreadAfterManyWrites_StartsFromTheHintAndFindsTheEnd()
    {
        var keys = new KeyTrie();
        var log = new CommitLog(retained: 8, keys);
        KeySlot slot = keys.GetOrAdd("k");
        for (int i = 1; i <= 1_000; i++)
        {
            Assert.True(log.TryAppend(log.CatchUp(), Entry(slot, i), slot));
        }

        // A thread that never wrote has no cursor of its own: it starts from the shared hint, laps and all.
        long last = await Task.Run(log.CatchUp, TestContext.Current.CancellationToken);

        Assert.Equal(1_000, last);
        Assert.Equal(1_000, await Task.Run(log.FindLast, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WaitForChangeAfter_NextChangeApplied_Completes()
    {
        var keys = new KeyTrie();
        var log = new CommitLog(retained: 8, keys);
        KeySlot slot = keys.GetOrAdd("k");
        Task waiting = log.WaitForChangeAfter(0);
        Assert.False(waiting.IsCompleted);

        log.TryAppend(log.CatchUp(), Entry(slot, 1), slot);

        await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(log.WaitForChangeAfter(0).IsCompleted);
        Assert.False(log.WaitForChangeAfter(1).IsCompleted);
    }

    [Fact]
    public async Task WaitForChangeAfter_LogClosed_Completes()
    {
        var log = new CommitLog(retained: 8, new KeyTrie());
        Task waiting = log.WaitForChangeAfter(0);

        log.Close();

        await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(log.WaitForChangeAfter(0).IsCompleted);
    }

    [Fact]
    public void TryAppend_RecordApplied_TheRingKeepsItsDataButNotTheRecord()
    {
        var keys = new KeyTrie();
        var log = new CommitLog(retained: 8, keys);
        KeySlot slot = keys.GetOrAdd("k");
        WeakReference first = AppendAndForget(log, slot, 1);
        Assert.True(log.TryAppend(log.CatchUp(), Entry(slot, 2), slot));

        // The slot holds the second entry, and nothing else should hold the first: retained changes must not keep an
        // object per write alive into the old generations.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(first.IsAlive);
        Assert.Equal(Entry(slot, 1), log.ReadCommitted(1));
        Assert.Equal(Entry(slot, 2), log.ReadApplied(2));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference AppendAndForget(CommitLog log, KeySlot slot, long sequence)
    {
        MemoryEntry entry = Entry(slot, sequence);
        Assert.True(log.TryAppend(log.CatchUp(), entry, slot));
        return new WeakReference(entry);
    }

    private static MemoryEntry Entry(KeySlot slot, long sequence) =>
        new(slot.Key, JsonSerializer.SerializeToElement(sequence), sequence, "tests", DateTimeOffset.UnixEpoch);

}
