namespace ParallelAgents.Sdk;

/// <summary>Every entry of the shared memory at one point in time.</summary>
/// <param name="Sequence">The sequence number of the last write the snapshot includes (0 for an empty store).</param>
/// <param name="Entries">The entries by key.</param>
public sealed record MemorySnapshot(long Sequence, IReadOnlyDictionary<string, MemoryEntry> Entries);
