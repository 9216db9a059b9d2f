namespace ParallelAgents.Sdk;

/// <summary>Creates the built-in <see cref="ISharedMemory"/> stores.</summary>
public static class SharedMemory
{
    /// <summary>A store in this process's memory: lock-free, lost when the process ends.</summary>
    /// <param name="options">Limits and clock; <see langword="null"/> for the defaults.</param>
    /// <returns>A new, empty <see cref="InMemorySharedMemory"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range.</exception>
    public static ISharedMemory InMemory(SharedMemoryOptions? options = null) => new InMemorySharedMemory(options);
}
