namespace ParallelAgents.Sdk;

/// <summary>Creates the built-in <see cref="ISharedMemory"/> stores.</summary>
public static class SharedMemory
{
    /// <summary>A store in this process's memory: lock-free, lost when the process ends.</summary>
    /// <param name="options">Limits and clock; <see langword="null"/> for the defaults.</param>
    /// <returns>A new, empty <see cref="InMemorySharedMemory"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range.</exception>
    public static ISharedMemory InMemory(SharedMemoryOptions? options = null) => new InMemorySharedMemory(options);

    /// <summary>The embedded store: a journal and a readable JSON snapshot on local disk, recovered after a crash.</summary>
    /// <param name="path">The snapshot file; the journal, the previous snapshot and the lock file are kept beside it.</param>
    /// <param name="options">Flush policy, snapshot cadence, limits, clock and logging; <see langword="null"/> for the
    /// defaults. <paramref name="path"/> overrides its Path; the options are not changed.</param>
    /// <returns>The open store; dispose it to write the final snapshot and release the lock.</returns>
    /// <exception cref="SharedMemoryLockedException">Another process, or another open store in this process, uses the files.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="IOException">The folder or files cannot be read or written.</exception>
    public static FileSharedMemory File(string path = FileSharedMemoryOptions.DefaultPath, FileSharedMemoryOptions? options = null) =>
        FileSharedMemory.Open(path, options);
}
