namespace ParallelAgents.Sdk;

/// <summary>When a <see cref="FileSharedMemory"/> forces its journal to disk, and so what an acknowledged write survives.</summary>
public enum FlushPolicy
{
    /// <summary>
    /// A write is acknowledged after it is written to the journal and the journal is flushed to disk (fsync): an
    /// acknowledged write survives a crash of the process, of the operating system and a power loss. Writers that wait at
    /// the same time share one flush (group commit), so throughput grows with concurrency; a single writer waits for one
    /// disk flush per write.
    /// </summary>
    Always = 0,

    /// <summary>
    /// A write is acknowledged after it is written to the journal (handed to the operating system), and the journal is
    /// flushed to disk at most <see cref="FileSharedMemoryOptions.BatchInterval"/> later: an acknowledged write survives a
    /// crash or kill of the process at once, and a crash of the operating system or a power loss once that interval has
    /// passed. No write waits for the disk.
    /// </summary>
    Batched = 1,
}
