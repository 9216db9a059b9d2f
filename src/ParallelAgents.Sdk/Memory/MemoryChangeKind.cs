namespace ParallelAgents.Sdk;

/// <summary>What a <see cref="MemoryChange"/> did.</summary>
public enum MemoryChangeKind
{
    /// <summary>A value was written (by a set or a winning compare-and-set).</summary>
    Set = 0,

    /// <summary>A value was deleted.</summary>
    Delete = 1,
}
