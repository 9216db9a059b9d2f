using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ParallelAgents.Sdk;

/// <summary>Registers ParallelAgents in a service collection.</summary>
public static class ParallelAgentsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="AgentEngine"/> (a singleton made through <see cref="ParallelAgentsBuilder"/> when first
    /// resolved, and disposed by the container), its <see cref="ParallelAgentsOptions"/> (read from the
    /// <c>ParallelAgents</c> configuration section and the original demo's environment variables), the
    /// <see cref="IAgentRunQueue"/>, and the hosted service that runs the queued plans one after another.
    /// </summary>
    /// <remarks>
    /// <para>From the container the engine takes: the unkeyed <c>IChatClient</c> when no agent is configured in code
    /// (or the one keyed <see cref="ParallelAgentsOptions.ChatClientServiceKey"/>), the <see cref="ISharedMemory"/>,
    /// the <c>ILoggerFactory</c> and the <see cref="TimeProvider"/> when they are registered.</para>
    /// <para>In a host, the hosted service resolves the engine when the host starts, so a bad configuration stops the
    /// start with one <see cref="ParallelAgentsConfigurationException"/> listing every problem. The engine is
    /// <see cref="IAsyncDisposable"/> only: dispose a service provider that made it with <c>DisposeAsync</c>.</para>
    /// <para>Calling this method again adds to the same registration.</para>
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes the options after the configuration section and the environment are read.</param>
    /// <returns>A builder whose <c>Use…</c> methods configure the engine further.</returns>
    /// <example>
    /// <code>
    /// services.AddChatClient(innerClient);
    /// services.AddParallelAgents(o => o.MaxParallelAgents = 4)
    ///         .UseRepository("path/to/repo")
    ///         .UseFileSharedMemory("shared-memory/agent_memory.json");
    /// </code>
    /// </example>
    public static IParallelAgentsBuilder AddParallelAgents(this IServiceCollection services, Action<ParallelAgentsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddOptions<ParallelAgentsOptions>();

        // Registered before the caller's delegate so that code overrides the section and the environment.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<ParallelAgentsOptions>, ParallelAgentsConfigureOptions>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(ContainerEngineFactory.Create);
        services.TryAddSingleton<OptionsSharedMemory>();
        services.TryAddSingleton<AgentRunQueue>();
        services.TryAddSingleton<IAgentRunQueue>(sp => sp.GetRequiredService<AgentRunQueue>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AgentRunService>());
        return new ParallelAgentsServiceBuilder(services);
    }
}
