using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ParallelAgents.Sdk;

/// <summary>Reads the original demo's environment variables, then the container's <c>ParallelAgents</c> configuration
/// section (which wins), into <see cref="ParallelAgentsOptions"/>.</summary>
internal sealed class ParallelAgentsConfigureOptions(IServiceProvider services) : IConfigureOptions<ParallelAgentsOptions>
{
    public void Configure(ParallelAgentsOptions options)
    {
        ParallelAgentsConfiguration.ApplyEnvironment(options);
        ParallelAgentsConfiguration.ApplySection(options, services.GetService<IConfiguration>());
    }
}
