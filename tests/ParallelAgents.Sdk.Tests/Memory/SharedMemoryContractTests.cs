namespace ParallelAgents.Sdk.Tests.Memory;

/// <summary>
/// The contract every <see cref="ISharedMemory"/> keeps. Each implementation's test class derives from this one; the
/// file is also compiled into the Redis test project, so it must depend on nothing but the core library and xunit.
/// </summary>
public abstract class SharedMemoryContractTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Makes a new, empty store for one test; the test disposes it.</summary>
    protected abstract ValueTask<ISharedMemory> CreateAsync(SharedMemoryOptions options);

    protected ValueTask<ISharedMemory> CreateAsync() => CreateAsync(new SharedMemoryOptions());
}
