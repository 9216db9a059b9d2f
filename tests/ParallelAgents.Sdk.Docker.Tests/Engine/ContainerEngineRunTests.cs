using ParallelAgents.Sdk.Docker.Tests.TestSupport;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Docker.Tests.Engine;

/// <summary>Whole engine runs with <c>isolation: container</c> tasks on a real repository and a real Docker engine.</summary>
public sealed class ContainerEngineRunTests : IDisposable
{
    private readonly GitRepository _repo = new(("README.md", "# demo\n"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task RunAsync_ContainerTasks_TheirWorkIsMergedIntoMainAndNothingIsLeft()
    {
        await DockerTestEngine.RequireAsync();
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: schema
                isolation: container
                instructions: write schema.sql
              - id: api
                isolation: container
                dependencies: [schema]
                instructions: write api.txt from the schema
              - id: docs
                instructions: write docs.md on the host
            """);
        var uids = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(_repo.Path)
            .UseWorktreeIsolation()
            .UseContainerIsolation(o =>
            {
                o.Image = DockerTestEngine.Image;
                o.Endpoint = DockerTestEngine.Endpoint;
                o.Network = ContainerNetwork.Internal;
                o.Cpus = 1;
            })
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                IAgentWorkspace workspace = context.Workspace!;
                string command = context.Task.Id switch
                {
                    "schema" => "echo 'create table users (id int);' > schema.sql",
                    "api" => "test -f schema.sql && sed 's/create table/GET \\//' schema.sql > api.txt",
                    _ => "echo '# docs' > docs.md",
                };
                CommandResult result = await workspace.ExecuteAsync(new CommandRequest { Command = command + "; id -u" }, ct);
                uids[context.Task.Id] = result.Output.Trim();
                return result.Succeeded ? AgentOutcome.Success(command) : AgentOutcome.Failure(result.Output);
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(3, result.Merges.Count);
        Assert.All(result.Merges, m => Assert.Equal(MergeStatus.Merged, m.Status));
        Assert.Equal("create table users (id int);\n", _repo.Git("show", "main:schema.sql"));
        Assert.Equal("GET / users (id int);\n", _repo.Git("show", "main:api.txt"));
        Assert.Equal("# docs\n", _repo.Git("show", "main:docs.md"));
        Assert.NotEqual("0", uids["schema"]);
        Assert.Equal(uids["schema"], uids["api"]);
        Assert.Empty(DockerTestEngine.ContainersLabelled("parallelagents.run-id=" + result.RunId));
        Assert.Empty(DockerTestEngine.NetworksLabelled("parallelagents.run-id=" + result.RunId));
        Assert.Single(_repo.Worktrees());
        _repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_ContainerIsolationWithoutWorktreeIsolation_MakesItsOwnWorktreesOnTheBuildersRepository()
    {
        await DockerTestEngine.RequireAsync();
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: boxed
                isolation: container
                instructions: write boxed.txt
            """);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(_repo.Path)
            .UseContainerIsolation(o =>
            {
                o.Image = DockerTestEngine.Image;
                o.Endpoint = DockerTestEngine.Endpoint;
                o.Worktree = new WorktreeIsolationOptions { BranchPrefix = "boxed/" };
            })
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                CommandResult result = await context.Workspace!.ExecuteAsync(new CommandRequest { Command = "echo boxed > boxed.txt" }, ct);
                return result.Succeeded ? AgentOutcome.Success() : AgentOutcome.Failure(result.Output);
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.True(result.Succeeded, result.ToString());
        Assert.DoesNotContain("worktree", engine.IsolationProviders);
        Assert.Equal("boxed\n", _repo.Git("show", "boxed/boxed:boxed.txt"));
        Assert.Equal("boxed\n", _repo.Git("show", "main:boxed.txt"));
        Assert.Empty(DockerTestEngine.ContainersLabelled("parallelagents.run-id=" + result.RunId));
        Assert.Single(_repo.Worktrees());
    }

    [Fact]
    public async Task RunAsync_NoDockerEngine_ThrowsDockerUnavailableBeforeAnyAgentStarts()
    {
        string endpoint = $"unix:///tmp/pa-no-docker-{Guid.NewGuid():N}.sock";
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: first
                instructions: runs on the host
              - id: boxed
                isolation: container
                instructions: runs in a container
            """);
        int started = 0;
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(_repo.Path)
            .UseWorktreeIsolation()
            .UseContainerIsolation(o =>
            {
                o.Image = DockerTestEngine.Image;
                o.Endpoint = endpoint;
            })
            .UseAgent((context, ct) =>
            {
                Interlocked.Increment(ref started);
                return ValueTask.FromResult(AgentOutcome.Success());
            })
            .Build();

        DockerUnavailableException error = await Assert.ThrowsAsync<DockerUnavailableException>(() => engine.RunAsync(plan, Ct));

        Assert.Equal(0, started);
        Assert.Equal(endpoint, error.Endpoint);
        Assert.StartsWith($"no Docker engine answered at {endpoint}; start dockerd", error.Message, StringComparison.Ordinal);
        Assert.False(_repo.BranchExists("agent/first"));
    }

    [Fact]
    public async Task RunAsync_PlanWithoutContainerTasks_DoesNotNeedTheDockerEngine()
    {
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: only
                instructions: runs on the host
            """);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(_repo.Path)
            .UseWorktreeIsolation()
            .UseContainerIsolation(o =>
            {
                o.Image = DockerTestEngine.Image;
                o.Endpoint = $"unix:///tmp/pa-no-docker-{Guid.NewGuid():N}.sock";
            })
            .WithReportsDirectory(null)
            .UseAgent((context, ct) => ValueTask.FromResult(AgentOutcome.Success()))
            .Build();

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("container", engine.IsolationProviders);
    }

    [Fact]
    public void Build_ContainerIsolationWithoutImageOrRepository_ListsBothProblems()
    {
        ParallelAgentsConfigurationException error = Assert.Throws<ParallelAgentsConfigurationException>(() => new ParallelAgentsBuilder()
            .UseContainerIsolation(o => o.Cpus = -2)
            .UseAgent((context, ct) => ValueTask.FromResult(AgentOutcome.Success()))
            .Build());

        Assert.Contains(error.Problems, p => p.StartsWith("Container isolation: Image is required", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Container isolation: Cpus must be", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Container isolation: Container isolation needs a repository", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_ContainerIsolationAndACustomProviderNamedContainer_IsRefused()
    {
        ParallelAgentsConfigurationException error = Assert.Throws<ParallelAgentsConfigurationException>(() => new ParallelAgentsBuilder()
            .UseRepository(_repo.Path)
            .UseContainerIsolation(o => o.Image = DockerTestEngine.Image)
            .UseIsolation(new NamedProvider("Container"))
            .UseAgent((context, ct) => ValueTask.FromResult(AgentOutcome.Success()))
            .Build());

        Assert.Contains(error.Problems, p => p.Contains("Two isolation providers are named 'container'", StringComparison.Ordinal));
    }

    private sealed class NamedProvider(string name) : IIsolationProvider
    {
        public string Name => name;

        public ValueTask<IAgentWorkspace> CreateWorkspaceAsync(WorkspaceRequest request, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
