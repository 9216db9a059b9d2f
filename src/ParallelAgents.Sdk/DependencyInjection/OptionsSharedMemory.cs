using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ParallelAgents.Sdk;

/// <summary>
/// The file-backed shared memory named by <see cref="ParallelAgentsOptions.SharedMemoryPath"/> (the original's
/// <c>SHARED_MEMORY</c>), used when no <see cref="ISharedMemory"/> is registered. A container singleton of its own so
/// that the container disposes the store (writing its final snapshot) after the engine that uses it.
/// </summary>
internal sealed class OptionsSharedMemory : IAsyncDisposable
{
    public OptionsSharedMemory(IServiceProvider services)
    {
        ParallelAgentsOptions options = services.GetRequiredService<IOptions<ParallelAgentsOptions>>().Value;
        if (!string.IsNullOrWhiteSpace(options.SharedMemoryPath))
        {
            var fileOptions = new FileSharedMemoryOptions();
            if (services.GetService<ILoggerFactory>() is { } loggerFactory)
            {
                fileOptions.LoggerFactory = loggerFactory;
            }

            if (services.GetService<TimeProvider>() is { } timeProvider)
            {
                fileOptions.TimeProvider = timeProvider;
            }

            Memory = SharedMemory.File(options.SharedMemoryPath, fileOptions);
        }
    }

    /// <summary>The store, or <see langword="null"/> when no path is configured.</summary>
    public ISharedMemory? Memory { get; }

    public ValueTask DisposeAsync() => Memory?.DisposeAsync() ?? ValueTask.CompletedTask;
}
