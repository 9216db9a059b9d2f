using Microsoft.Extensions.DependencyInjection;
using ParallelAgents.Sdk.Docker.Tests.TestSupport;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Docker.Tests.DependencyInjection;

/// <summary>services.AddParallelAgents().UseContainerIsolation(...): no Docker engine is needed to register it.</summary>
public sealed class ContainerRegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UseContainerIsolation_WithRepository_EngineHasBothIsolationsAndRunsWorktreeTasksWithoutDocker()
    {
        using var repo = new GitRepository();
        var services = new ServiceCollection();
        services.AddParallelAgents(o => o.ReportsDirectory = null)
            .UseRepository(repo.Path)
            .UseContainerIsolation(o =>
            {
                o.Image = DockerTestEngine.Image;
                o.Endpoint = $"unix:///tmp/pa-no-docker-{Guid.NewGuid():N}.sock";
            })
            .UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()));
        await using ServiceProvider provider = services.BuildServiceProvider();
        AgentEngine engine = provider.GetRequiredService<AgentEngine>();

        RunResult result = await engine.RunAsync(TaskPlan.Parse("tasks:\n  - id: only\n    instructions: runs on the host\n"), Ct);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(["container", "worktree"], engine.IsolationProviders.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task UseContainerIsolation_WithoutImage_ListedWithTheOtherProblems()
    {
        var services = new ServiceCollection();
        services.AddParallelAgents(o => o.MaxParallelAgents = 0)
            .UseContainerIsolation(_ => { })
            .UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()));
        await using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<ParallelAgentsConfigurationException>(() => provider.GetRequiredService<AgentEngine>());

        Assert.Contains(ex.Problems, p => p.StartsWith("Container isolation:", StringComparison.Ordinal) && p.Contains("Image", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("Container isolation needs a repository", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("MaxParallelAgents", StringComparison.Ordinal));
    }
}
