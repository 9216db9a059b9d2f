using Microsoft.Extensions.DependencyInjection;
using ParallelAgents.Sdk.Redis;

namespace ParallelAgents.Sdk;

/// <summary>Registers the Redis shared memory with <see cref="IParallelAgentsBuilder"/>.</summary>
public static class RedisParallelAgentsBuilderExtensions
{
    /// <summary>
    /// Gives every agent a <see cref="RedisSharedMemory"/> on the Redis at <paramref name="configuration"/>, registered
    /// as the container's <see cref="ISharedMemory"/> (replacing any registered before). It connects when the engine is
    /// first resolved (at host start when the run queue's hosted service runs), and the container disposes it.
    /// </summary>
    /// <param name="builder">The registration.</param>
    /// <param name="configuration">How to reach Redis, in StackExchange.Redis's syntax, such as <c>localhost:6379</c>
    /// (see <see cref="RedisSharedMemoryOptions.ConnectionString"/>).</param>
    /// <param name="configure">Changes the other <see cref="RedisSharedMemoryOptions"/> (key prefix, limits...); the
    /// container's <see cref="TimeProvider"/> is set first.</param>
    /// <returns>The same registration.</returns>
    /// <remarks>A Redis that does not answer, or a bad option, is listed with the engine's other problems in the
    /// <see cref="ParallelAgentsConfigurationException"/> thrown when the engine is resolved.</remarks>
    public static IParallelAgentsBuilder UseRedisSharedMemory(this IParallelAgentsBuilder builder, string configuration, Action<RedisSharedMemoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        return builder.UseSharedMemory(services =>
        {
            var options = new RedisSharedMemoryOptions { ConnectionString = configuration };
            if (services.GetService<TimeProvider>() is { } timeProvider)
            {
                options.TimeProvider = timeProvider;
            }

            configure?.Invoke(options);

            // Service factories are synchronous. Run on the thread pool so that a caller's synchronization context
            // (a UI thread, say) cannot deadlock the connection's continuations.
            return Task.Run(() => RedisSharedMemory.ConnectAsync(options)).GetAwaiter().GetResult();
        });
    }
}
