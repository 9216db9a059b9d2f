namespace ParallelAgents.Sdk.Tests.Engine;

public class ParallelAgentsBuilderTests
{
    private static readonly IAgent Noop = new DelegateAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()));

    [Fact]
    public async Task Build_Twice_ThrowsSayingTheBuilderIsSingleUse()
    {
        var builder = new ParallelAgentsBuilder().UseAgent(Noop);
        await using AgentEngine engine = builder.Build();

        var ex = Assert.Throws<InvalidOperationException>(() => builder.Build());

        Assert.Contains("single-use", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configure_AfterBuild_Throws()
    {
        var builder = new ParallelAgentsBuilder().UseAgent(Noop);
        await using AgentEngine engine = builder.Build();

        Assert.Throws<InvalidOperationException>(() => builder.WithMaxParallelAgents(2));
        Assert.Throws<InvalidOperationException>(() => builder.UseAgent(Noop));
        Assert.Throws<InvalidOperationException>(() => builder.Configure(_ => { }));
        Assert.Throws<InvalidOperationException>(() => builder.UseTimeProvider(TimeProvider.System));
    }

    [Fact]
    public void Build_WithoutAgent_ThrowsNamingTheFix()
    {
        var ex = Assert.Throws<ParallelAgentsConfigurationException>(() => new ParallelAgentsBuilder().Build());

        Assert.Equal(
            "No agent is configured: call UseChatClient(chatClient) for AI coding agents, or UseAgent(...) with the agent that does the tasks.",
            Assert.Single(ex.Problems));
    }

    [Fact]
    public void Build_MergingWithoutRepository_ThrowsNamingUseRepository()
    {
        var builder = new ParallelAgentsBuilder()
            .UseAgent(Noop)
            .UseMerging(o => o.Strategy = MergeStrategy.Squash)
            .UseConflictResolver(new ReportOnlyResolver());

        var ex = Assert.Throws<ParallelAgentsConfigurationException>(builder.Build);

        Assert.Contains("call UseRepository(path, mainBranch)", Assert.Single(ex.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WorktreesWithoutRepository_ThrowsNamingUseRepository()
    {
        var builder = new ParallelAgentsBuilder().UseAgent(Noop).UseWorktreeIsolation();

        var ex = Assert.Throws<ParallelAgentsConfigurationException>(builder.Build);

        Assert.Contains("Worktree isolation needs a repository", Assert.Single(ex.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_RepositoryThatIsNotGit_ThrowsSayingWhere()
    {
        string folder = Directory.CreateTempSubdirectory("pa-not-a-repo-").FullName;
        try
        {
            var builder = new ParallelAgentsBuilder().UseAgent(Noop).UseRepository(folder).UseWorktreeIsolation();

            var ex = Assert.Throws<ParallelAgentsConfigurationException>(builder.Build);

            Assert.Contains(folder, string.Join("\n", ex.Problems), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Build_SeveralProblems_ReportsEveryOneAtOnce()
    {
        var builder = new ParallelAgentsBuilder()
            .UseIsolation(new NamedProvider("box"))
            .UseIsolation(new NamedProvider("BOX"))
            .UseIsolation(new NamedProvider(""));

        var ex = Assert.Throws<ParallelAgentsConfigurationException>(() => builder.Build());

        Assert.Equal(3, ex.Problems.Count);
        Assert.Contains(ex.Problems, p => p.StartsWith("No agent is configured", StringComparison.Ordinal));
        Assert.Contains("Two isolation providers are named 'box'; each name may be registered once.", ex.Problems);
        Assert.Contains(ex.Problems, p => p.Contains("has no name", StringComparison.Ordinal));
        Assert.StartsWith("The engine's configuration has 3 problems:", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1025)]
    public void WithMaxParallelAgents_OutOfRange_Throws(int value) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParallelAgentsBuilder().WithMaxParallelAgents(value));

    [Fact]
    public void Configure_InvalidOptions_ThrowsAtOnceListingEach()
    {
        var ex = Assert.Throws<ParallelAgentsConfigurationException>(() => new ParallelAgentsBuilder().Configure(o =>
        {
            o.MaxParallelAgents = 0;
            o.EventBufferCapacity = 1;
            o.CancellationGracePeriod = TimeSpan.FromSeconds(-1);
        }));

        Assert.Equal(3, ex.Problems.Count);
        Assert.Contains("MaxParallelAgents must be from 1 to 1,024, not 0.", ex.Problems);
    }

    [Fact]
    public void WithRetry_InvalidOptions_ThrowsAtOnce()
    {
        var ex = Assert.Throws<ParallelAgentsConfigurationException>(() => new ParallelAgentsBuilder().WithRetry(r =>
        {
            r.MaxAttempts = 0;
            r.BaseDelay = TimeSpan.FromSeconds(10);
            r.MaxDelay = TimeSpan.FromSeconds(1);
            r.BackoffMultiplier = 0.5;
        }));

        Assert.Equal(3, ex.Problems.Count);
    }

    [Fact]
    public void UseAgent_Null_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => new ParallelAgentsBuilder().UseAgent((IAgent)null!));
        Assert.Throws<ArgumentNullException>(() => new ParallelAgentsBuilder().UseIsolation(null!));
    }

    [Fact]
    public async Task Build_OptionsChangedAfterBuild_DoNotChangeTheEngine()
    {
        AgentEngineOptions? captured = null;
        var builder = new ParallelAgentsBuilder().UseAgent(Noop).Configure(o => { captured = o; o.MaxParallelAgents = 2; });
        await using AgentEngine engine = builder.Build();

        captured!.MaxParallelAgents = 99;

        Assert.Equal(2, engine.MaxParallelAgents);
    }

    private sealed class NamedProvider(string name) : IIsolationProvider
    {
        public string Name => name;

        public ValueTask<IAgentWorkspace> CreateWorkspaceAsync(WorkspaceRequest request, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
