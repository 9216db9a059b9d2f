using System.Collections.Concurrent;

namespace ParallelAgents.Sdk.Redis;

/// <summary>
/// The latest entry this client wrote or read for each key, so that reading an unchanged key again returns the same
/// <see cref="MemoryEntry"/> (as the in-process stores do): a version is the sequence number of one write, so an entry
/// with the same key and version is the same entry, and it need not be parsed again.
/// </summary>
/// <remarks>
/// <see cref="MemoryEntry"/> is a record, but its <see cref="System.Text.Json.JsonElement"/> compares by the document
/// it points into; without this cache two reads of one entry would not be equal. The cache holds about
/// <c>capacityBytes</c> of stored entries and starts over when it grows past that; the count is approximate under
/// races, which only moves that moment a little.
/// </remarks>
internal sealed class EntryCache(long capacityBytes)
{
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private long _bytes;

    /// <summary>The remembered entry for <paramref name="key"/> if it is the one at <paramref name="version"/>.</summary>
    public MemoryEntry? Find(string key, long version) =>
        _slots.TryGetValue(key, out Slot? slot) && slot.Entry.Version == version ? slot.Entry : null;

    /// <summary>Remembers <paramref name="entry"/> unless a later version of its key is already remembered.</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="bytes">Its stored size, for the capacity.</param>
    public void Remember(MemoryEntry entry, int bytes)
    {
        if (bytes > capacityBytes / 8)
        {
            return;
        }

        var slot = new Slot(entry, bytes);
        while (true)
        {
            if (_slots.TryGetValue(entry.Key, out Slot? old))
            {
                if (old.Entry.Version >= entry.Version)
                {
                    return;
                }

                if (_slots.TryUpdate(entry.Key, slot, old))
                {
                    Interlocked.Add(ref _bytes, bytes - old.Bytes);
                    break;
                }
            }
            else if (_slots.TryAdd(entry.Key, slot))
            {
                Interlocked.Add(ref _bytes, bytes);
                break;
            }
        }

        if (Volatile.Read(ref _bytes) > capacityBytes)
        {
            _slots.Clear();
            Interlocked.Exchange(ref _bytes, 0);
        }
    }

    /// <summary>Forgets a key this client deleted.</summary>
    public void Forget(string key)
    {
        if (_slots.TryRemove(key, out Slot? old))
        {
            Interlocked.Add(ref _bytes, -old.Bytes);
        }
    }

    // A class, not a record: TryUpdate must compare slots by reference.
    private sealed class Slot(MemoryEntry entry, int bytes)
    {
        public MemoryEntry Entry { get; } = entry;

        public int Bytes { get; } = bytes;
    }
}
