using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.DependencyInjection;

/// <summary>The original demo's environment variables. Their names are fixed, so these tests run alone.</summary>
[Collection(SerialTests.Name)]
public class OriginalVariablesTests
{
    private static ParallelAgentsOptions Resolve(IConfiguration? configuration = null, Action<ParallelAgentsOptions>? configure = null)
    {
        var services = new ServiceCollection();
        if (configuration is not null)
        {
            services.AddSingleton(configuration);
        }

        services.AddParallelAgents(configure);
        using ServiceProvider provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ParallelAgentsOptions>>().Value;
    }

    private static IDisposable[] SetAll() =>
    [
        new EnvironmentVariable("AGENT_BRANCH_PREFIX", "ai/"),
        new EnvironmentVariable("MAIN_BRANCH", "develop"),
        new EnvironmentVariable("WORKSPACE_DIR", "./workspace"),
        new EnvironmentVariable("REPORTS_DIR", "./reports-env"),
        new EnvironmentVariable("SHARED_MEMORY", "./shared-memory/agent_memory.json"),
        new EnvironmentVariable("AGENT_MODEL", "claude-3-sonnet"),
    ];

    [Fact]
    public void AddParallelAgents_OriginalVariables_SetTheOptions()
    {
        IDisposable[] variables = SetAll();
        try
        {
            ParallelAgentsOptions options = Resolve();

            Assert.Equal("ai/", options.BranchPrefix);
            Assert.Equal("develop", options.MainBranch);
            Assert.Equal("./workspace", options.WorktreesDirectory);
            Assert.Equal("./reports-env", options.ReportsDirectory);
            Assert.Equal("./shared-memory/agent_memory.json", options.SharedMemoryPath);
            Assert.Equal("claude-3-sonnet", options.Model);
        }
        finally
        {
            Array.ForEach(variables, v => v.Dispose());
        }
    }

    [Fact]
    public void AddParallelAgents_SectionAndCodeOverVariables_CodeThenSectionWin()
    {
        IDisposable[] variables = SetAll();
        try
        {
            IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ParallelAgents:MainBranch"] = "trunk",
                ["ParallelAgents:Model"] = "section-model",
            }).Build();

            ParallelAgentsOptions options = Resolve(configuration, o => o.Model = "code-model");

            Assert.Equal("trunk", options.MainBranch);
            Assert.Equal("code-model", options.Model);
            Assert.Equal("ai/", options.BranchPrefix);
        }
        finally
        {
            Array.ForEach(variables, v => v.Dispose());
        }
    }

    [Fact]
    public void AddParallelAgents_NoVariables_Defaults()
    {
        IDisposable[] variables = [.. ParallelAgentsConfiguration.OriginalVariables.Select(v => new EnvironmentVariable(v.Variable, null))];
        try
        {
            ParallelAgentsOptions options = Resolve();

            Assert.Equal("agent/", options.BranchPrefix);
            Assert.Equal("main", options.MainBranch);
            Assert.Null(options.WorktreesDirectory);
            Assert.Equal("reports", options.ReportsDirectory);
            Assert.Null(options.SharedMemoryPath);
            Assert.Null(options.Model);
            Assert.Equal(4, options.MaxParallelAgents);
        }
        finally
        {
            Array.ForEach(variables, v => v.Dispose());
        }
    }
}
