namespace ParallelAgents.Sdk;

/// <summary>
/// Thrown when a <see cref="FileSharedMemory"/> is opened on files that another process, or another open
/// <see cref="FileSharedMemory"/> in this process, already uses: two writers would corrupt the journal.
/// </summary>
public sealed class SharedMemoryLockedException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The shared memory's snapshot path.</param>
    /// <param name="lockPath">The lock file another holder has open.</param>
    /// <param name="innerException">The operating system's refusal.</param>
    public SharedMemoryLockedException(string path, string lockPath, Exception? innerException)
        : base(
            $"The shared memory at {path} is in use: another process (or another FileSharedMemory in this process) holds its lock file {lockPath}. " +
            "Use that store instead of opening a second one, stop the other process (the lock file names its process id), or give this store its own Path. " +
            "The lock is released when its holder disposes the store or exits, even by a crash.",
            innerException)
    {
        Path = path;
        LockPath = lockPath;
    }

    /// <summary>Creates the exception with a message.</summary>
    public SharedMemoryLockedException()
        : base("The shared memory is in use by another process or another FileSharedMemory in this process.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public SharedMemoryLockedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public SharedMemoryLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The shared memory's snapshot path.</summary>
    public string? Path { get; }

    /// <summary>The lock file another holder has open.</summary>
    public string? LockPath { get; }
}
