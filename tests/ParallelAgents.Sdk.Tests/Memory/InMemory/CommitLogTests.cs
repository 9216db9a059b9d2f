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
        Assert.Equal(1, log.Applied);

        long last = log.CatchUp();

        Assert.Equal(2, last);
        Assert.Equal(2, log.Applied);
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
        Assert.Equal(1, log.Applied);
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
        Assert.Equal(85, log.OldestRetained());
        Assert.Equal(85, ((MemoryEntry)log.Read(85)!).Version);
        Assert.Equal(100, ((MemoryEntry)log.Read(100)!).Version);
        Assert.Null(log.Read(101));
        Assert.True(log.IsLost(84));
        Assert.False(log.IsLost(85));
        var error = Assert.Throws<ChangeFeedTruncatedException>(() => log.Read(84));
        Assert.Equal(83, error.RequestedSequence);
        Assert.Equal(85, error.OldestRetainedSequence);
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

    private static MemoryEntry Entry(KeySlot slot, long sequence) =>
        new(slot.Key, JsonSerializer.SerializeToElement(sequence), sequence, "tests", DateTimeOffset.UnixEpoch);

}
