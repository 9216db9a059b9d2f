using Microsoft.Extensions.DependencyInjection;

namespace ParallelAgents.Sdk;

/// <summary>
/// Configures the <see cref="AgentEngine"/> registered by
/// <see cref="ParallelAgentsServiceCollectionExtensions.AddParallelAgents(IServiceCollection, Action{ParallelAgentsOptions}?)"/>.
/// The <c>Use…</c> extension methods (<see cref="ParallelAgentsBuilderExtensions"/>, and those of the other
/// ParallelAgents packages) mirror <see cref="ParallelAgentsBuilder"/>'s; they take effect, in the order they were
/// called, when the engine is first resolved.
/// </summary>
public interface IParallelAgentsBuilder
{
    /// <summary>The service collection the engine is registered in.</summary>
    IServiceCollection Services { get; }
}
