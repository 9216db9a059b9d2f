using ParallelAgents.Sdk.InMemory;

namespace ParallelAgents.Sdk.Tests.Memory.InMemory;

public class KeyTrieTests
{
    [Fact]
    public void GetOrAdd_SameKeyTwice_ReturnsTheSameSlot()
    {
        var trie = new KeyTrie();

        KeySlot first = trie.GetOrAdd("status/a");
        KeySlot second = trie.GetOrAdd("status/a");

        Assert.Same(first, second);
        Assert.Same(first, trie.Find("status/a"));
        Assert.Null(trie.Find("status/b"));
    }

    [Fact]
    public void GetOrAdd_KeysSharingAllButTheirTopHashBits_BuildsLevelsDownToTheLast()
    {
        // Only bits 60-63 differ: every insert after the first splits down to the deepest level.
        var trie = new KeyTrie(key => (ulong)(key.Length % 16) << 60);
        string[] keys = [.. Enumerable.Range(1, 16).Select(n => new string('k', n))];

        KeySlot[] slots = [.. keys.Select(trie.GetOrAdd)];

        Assert.Equal(slots, keys.Select(trie.Find));
        Assert.Equal(16, Collect(trie).Count);
    }

    [Fact]
    public void GetOrAdd_KeysWithEqualHashes_KeepsThemApart()
    {
        var trie = new KeyTrie(_ => 42);
        string[] keys = [.. Enumerable.Range(0, 50).Select(n => $"key-{n}")];

        KeySlot[] slots = [.. keys.Select(trie.GetOrAdd)];

        Assert.Equal(slots, keys.Select(trie.Find));
        Assert.Equal(slots, keys.Select(trie.GetOrAdd));
        Assert.Null(trie.Find("key-50"));
        Assert.Equal(50, Collect(trie).Count);
    }

    [Fact]
    public void GetOrAdd_EqualAndNearHashesTogether_FindsEveryKey()
    {
        // Hashes 0 and 1 << 63 agree in every bit but the last; a third key collides with the first.
        var hashes = new Dictionary<string, ulong> { ["a"] = 0, ["b"] = 1UL << 63, ["c"] = 0, ["d"] = 1UL << 10 };
        var trie = new KeyTrie(key => hashes[key]);

        KeySlot[] slots = [.. hashes.Keys.Select(trie.GetOrAdd)];

        Assert.Equal(slots, hashes.Keys.Select(trie.Find));
        Assert.Equal(4, Collect(trie).Count);
    }

    [Fact]
    public async Task GetOrAdd_ConcurrentWritersOnTheSameKeys_AgreeOnOneSlotPerKey()
    {
        const int Threads = 4;
        const int Keys = 20_000;
        // The second hash has 12 bits: thousands of small collisions and levels split under contention.
        foreach (Func<string, ulong>? hash in new Func<string, ulong>?[] { null, key => (ulong)key.GetHashCode() & 0xFFF })
        {
            KeyTrie trie = hash is null ? new KeyTrie() : new KeyTrie(hash);
            using var start = new Barrier(Threads);
            Task<KeySlot[]>[] inserts = [.. Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                var slots = new KeySlot[Keys];
                for (int i = 0; i < Keys; i++)
                {
                    int k = t % 2 == 0 ? i : Keys - 1 - i;
                    slots[k] = trie.GetOrAdd($"k{k}");
                }

                return slots;
            }, TestContext.Current.CancellationToken))];
            KeySlot[][] results = await Task.WhenAll(inserts);

            for (int k = 0; k < Keys; k++)
            {
                Assert.All(results, r => Assert.Same(results[0][k], r[k]));
                Assert.Same(results[0][k], trie.Find($"k{k}"));
            }

            Assert.Equal(Keys, Collect(trie).Distinct().Count());
            Assert.Equal(Keys, Collect(trie).Count);
        }
    }

    private static List<KeySlot> Collect(KeyTrie trie)
    {
        var slots = new List<KeySlot>();
        trie.CollectSlots(slots);
        return slots;
    }
}
