namespace ParallelAgents.Sdk;

/// <summary>One committed write in the shared memory's change feed.</summary>
/// <param name="Sequence">The write's number in the store's global sequence: 1, 2, 3… with no gaps.</param>
/// <param name="Kind">Whether a value was set or deleted.</param>
/// <param name="Key">The key written.</param>
/// <param name="Entry">The new entry for <see cref="MemoryChangeKind.Set"/>; <see langword="null"/> for a delete.</param>
/// <param name="Author">Who wrote.</param>
/// <param name="Timestamp">When, from the store's <see cref="TimeProvider"/>.</param>
public sealed record MemoryChange(long Sequence, MemoryChangeKind Kind, string Key, MemoryEntry? Entry, string Author, DateTimeOffset Timestamp);
