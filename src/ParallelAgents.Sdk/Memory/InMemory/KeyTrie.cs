namespace ParallelAgents.Sdk.InMemory;

/// <summary>
/// The keys of an <see cref="InMemorySharedMemory"/>: an insert-only concurrent hash trie of <see cref="KeySlot"/>s.
/// Lookups are wait-free; inserts are lock-free.
/// </summary>
/// <remarks>
/// <para>Each level is an array indexed by the next bits of the key's 64-bit hash (10 at the root, 5 below); an item
/// is empty, a <see cref="KeySlot"/>, a deeper <see cref="Level"/>, or a <see cref="Collision"/> of keys whose whole
/// hashes are equal. An insert fills an empty item, or replaces a slot of another key by a new level that already
/// holds that slot; every change is one compare-and-swap of one item, and a failed one means another insert
/// succeeded. Nothing is ever removed, so a lookup reads at most 12 levels (10 + 11 × 5 bits cover the hash), whatever
/// other threads do.</para>
/// <para>A slot, once in, stays reachable at every moment (only moved one level down inside a level published
/// whole), so a walk over the trie sees every key inserted before it began, once.</para>
/// <para>Not <c>ConcurrentDictionary</c>: its adds take a lock (one of its stripes, all of them to grow).</para>
/// </remarks>
internal sealed class KeyTrie
{
    private const int RootBits = 10;
    private const int LevelBits = 5;
    private const ulong RootMask = (1UL << RootBits) - 1;
    private const ulong LevelMask = (1UL << LevelBits) - 1;

    private readonly Item[] _root = new Item[1 << RootBits];
    private readonly Func<string, ulong>? _hash;

    /// <summary>Creates an empty trie hashing with <see cref="KeyHash.Of"/>.</summary>
    public KeyTrie()
    {
    }

    /// <summary>Creates an empty trie with another hash, so tests can force deep levels and collisions.</summary>
    internal KeyTrie(Func<string, ulong> hash) => _hash = hash;

    /// <summary>Finds the key's slot; wait-free.</summary>
    /// <returns>The slot, or <see langword="null"/> if the key was never inserted.</returns>
    public KeySlot? Find(string key)
    {
        ulong hash = _hash is null ? KeyHash.Of(key) : _hash(key);
        Item[] items = _root;
        int index = (int)(hash & RootMask);
        int shift = RootBits;
        while (true)
        {
            object? item = Volatile.Read(ref items[index].Value);
            if (item is KeySlot slot)
            {
                return slot.Hash == hash && string.Equals(slot.Key, key, StringComparison.Ordinal) ? slot : null;
            }

            if (item is Level level)
            {
                items = level.Items;
                index = (int)((hash >> shift) & LevelMask);
                shift += LevelBits;
                continue;
            }

            return (item as Collision)?.Find(hash, key);
        }
    }

    /// <summary>Finds the key's slot or inserts a new, empty one; lock-free.</summary>
    public KeySlot GetOrAdd(string key)
    {
        ulong hash = _hash is null ? KeyHash.Of(key) : _hash(key);
        Item[] items = _root;
        int index = (int)(hash & RootMask);
        int shift = RootBits;
        KeySlot? created = null;
        while (true)
        {
            object? item = Volatile.Read(ref items[index].Value);
            switch (item)
            {
                case null:
                    created ??= new KeySlot(key, hash);
                    if (Interlocked.CompareExchange(ref items[index].Value, created, null) is null)
                    {
                        return created;
                    }

                    break;

                case KeySlot slot:
                    if (slot.Hash == hash && string.Equals(slot.Key, key, StringComparison.Ordinal))
                    {
                        return slot;
                    }

                    if (slot.Hash == hash)
                    {
                        created ??= new KeySlot(key, hash);
                        if (ReferenceEquals(Interlocked.CompareExchange(ref items[index].Value, new Collision(hash, [slot, created]), slot), slot))
                        {
                            return created;
                        }
                    }
                    else
                    {
                        // The hashes differ in a bit not used yet (they agree on all used so far), so a level
                        // below tells them apart; the next turn of the loop descends into it.
                        Interlocked.CompareExchange(ref items[index].Value, Level.Holding(slot, slot.Hash, shift), slot);
                    }

                    break;

                case Level level:
                    items = level.Items;
                    index = (int)((hash >> shift) & LevelMask);
                    shift += LevelBits;
                    break;

                default:
                    var collision = (Collision)item;
                    if (collision.Find(hash, key) is { } found)
                    {
                        return found;
                    }

                    if (collision.Hash == hash)
                    {
                        created ??= new KeySlot(key, hash);
                        if (ReferenceEquals(Interlocked.CompareExchange(ref items[index].Value, collision.With(created), collision), collision))
                        {
                            return created;
                        }
                    }
                    else
                    {
                        Interlocked.CompareExchange(ref items[index].Value, Level.Holding(collision, collision.Hash, shift), collision);
                    }

                    break;
            }
        }
    }

    /// <summary>Adds every slot in the trie to <paramref name="slots"/>, in no particular order; lock-free.</summary>
    /// <remarks>Sees every slot inserted before the call; slots inserted during it may or may not be seen.</remarks>
    public void CollectSlots(List<KeySlot> slots) => Collect(_root, slots);

    private static void Collect(Item[] items, List<KeySlot> slots)
    {
        for (int i = 0; i < items.Length; i++)
        {
            switch (Volatile.Read(ref items[i].Value))
            {
                case KeySlot slot:
                    slots.Add(slot);
                    break;
                case Level level:
                    Collect(level.Items, slots);
                    break;
                case Collision collision:
                    slots.AddRange(collision.Slots);
                    break;
            }
        }
    }

    /// <summary>An element of a level: a struct, so reading it by reference needs no array covariance check.</summary>
    private struct Item
    {
        public object? Value;
    }

    /// <summary>A level below the root: 32 items, published only once it holds the item it replaces.</summary>
    private sealed class Level
    {
        public readonly Item[] Items = new Item[1 << LevelBits];

        public static Level Holding(object item, ulong itemHash, int shift)
        {
            var level = new Level();
            level.Items[(int)((itemHash >> shift) & LevelMask)].Value = item;
            return level;
        }
    }

    /// <summary>Keys whose 64-bit hashes are all equal; immutable, replaced whole to add one.</summary>
    private sealed class Collision(ulong hash, KeySlot[] slots)
    {
        public readonly ulong Hash = hash;
        public readonly KeySlot[] Slots = slots;

        public KeySlot? Find(ulong hash, string key)
        {
            if (hash != Hash)
            {
                return null;
            }

            foreach (KeySlot slot in Slots)
            {
                if (string.Equals(slot.Key, key, StringComparison.Ordinal))
                {
                    return slot;
                }
            }

            return null;
        }

        public Collision With(KeySlot slot) => new(Hash, [.. Slots, slot]);
    }
}
