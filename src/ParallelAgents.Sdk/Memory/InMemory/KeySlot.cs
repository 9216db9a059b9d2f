using System.Runtime.CompilerServices;

namespace ParallelAgents.Sdk.InMemory;

/// <summary>One key's place in an <see cref="InMemorySharedMemory"/>: created once, never removed, never moved.</summary>
/// <remarks>
/// <see cref="State"/> is replaced by compare-and-swap, only ever by a state with a higher sequence number, so applying
/// a change twice, or late, is harmless. Slots of deleted keys stay, holding a <see cref="Tombstone"/>: removing one
/// would let a late helper bring an older value back.
/// </remarks>
internal sealed class KeySlot(string key, ulong hash)
{
    /// <summary>The key.</summary>
    public readonly string Key = key;

    /// <summary>The key's <see cref="KeyHash"/>.</summary>
    public readonly ulong Hash = hash;

    /// <summary>The key's latest applied state: a <see cref="MemoryEntry"/>, a <see cref="Tombstone"/>, or
    /// <see langword="null"/> before its first write is applied.</summary>
    public object? State;

    /// <summary>The sequence number of a record: a <see cref="MemoryEntry"/> or a <see cref="Tombstone"/>.</summary>
    public static long SequenceOf(object record) =>
        record is MemoryEntry entry ? entry.Version : ((Tombstone)record).Sequence;

    /// <summary>The key of a record; always the <see cref="Key"/> instance of the key's slot.</summary>
    public static string KeyOf(object record) =>
        record is MemoryEntry entry ? entry.Key : ((Tombstone)record).Key;

    /// <summary>The record as the change feed shows it.</summary>
    public static MemoryChange ToChange(object record) => record is MemoryEntry entry
        ? new MemoryChange(entry.Version, MemoryChangeKind.Set, entry.Key, entry, entry.Author, entry.Timestamp)
        : ToChange((Tombstone)record);

    private static MemoryChange ToChange(Tombstone tombstone) =>
        new(tombstone.Sequence, MemoryChangeKind.Delete, tombstone.Key, null, tombstone.Author, tombstone.Timestamp);

    /// <summary>Installs the record its writer just committed, in place of <paramref name="previous"/>, the slot's state
    /// as of the sequence number before it; one compare-and-swap, without reading either record.</summary>
    /// <remarks>After the commit the slot holds <paramref name="previous"/>, or this record (a helper applied it), or a
    /// later one (a helper applied it and more writes followed): states are never put back, so the swap succeeds in the
    /// first case only, the one where it is needed.</remarks>
    public void ApplyCommitted(object? previous, object record) => Interlocked.CompareExchange(ref State, record, previous);

    /// <summary>Sets the version of an entry that no other thread can see yet: a writer makes one entry per write and
    /// numbers it again for each attempt to commit, instead of allocating one per attempt.</summary>
    /// <remarks>Only before the compare-and-swap that publishes it: that swap is a full fence, so whoever reads the
    /// entry afterwards sees the version it was committed with, and a failed swap leaves it unseen.</remarks>
    public static void Renumber(MemoryEntry entry, long sequence) => VersionOf(entry) = sequence;

    // The record's positional property keeps its value in this compiler-named field; a test pins the name.
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<Version>k__BackingField")]
    private static extern ref long VersionOf(MemoryEntry entry);

    /// <summary>Installs <paramref name="state"/>, whose sequence number is <paramref name="sequence"/>, unless the slot
    /// already holds that state or a later one.</summary>
    public void Apply(object state, long sequence)
    {
        object? current = Volatile.Read(ref State);
        while (current is null || SequenceOf(current) < sequence)
        {
            object? seen = Interlocked.CompareExchange(ref State, state, current);
            if (ReferenceEquals(seen, current))
            {
                return;
            }

            current = seen;
        }
    }
}
