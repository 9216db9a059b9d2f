using Microsoft.Extensions.DependencyInjection;

namespace ParallelAgents.Sdk;

/// <summary>The <see cref="IParallelAgentsBuilder"/> returned by <c>AddParallelAgents</c>.</summary>
internal sealed class ParallelAgentsServiceBuilder(IServiceCollection services) : IParallelAgentsBuilder
{
    public IServiceCollection Services { get; } = services;
}
