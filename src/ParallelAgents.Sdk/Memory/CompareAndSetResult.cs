namespace ParallelAgents.Sdk;

/// <summary>The outcome of <see cref="ISharedMemory.CompareAndSetAsync"/>.</summary>
/// <param name="Succeeded">Whether the write won.</param>
/// <param name="Current">The key's entry now: the new one on success; on a lost race the one that beat the caller, or
/// <see langword="null"/> when the key has no value.</param>
public sealed record CompareAndSetResult(bool Succeeded, MemoryEntry? Current);
