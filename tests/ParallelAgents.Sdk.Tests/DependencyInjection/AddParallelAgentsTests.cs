using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.DependencyInjection;

/// <summary>services.AddParallelAgents(): the engine made from the options, the configuration section and the
/// builder's Use… methods, and every problem listed at once.</summary>
public class AddParallelAgentsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Func<AgentContext, CancellationToken, ValueTask<AgentOutcome>> Succeed =
        (_, _) => ValueTask.FromResult(AgentOutcome.Success());

    [Fact]
    public async Task AddParallelAgents_WithOptions_ResolvesOneEngineDisposedByTheContainer()
    {
        var services = new ServiceCollection();
        services.AddParallelAgents(o => o.MaxParallelAgents = 3).UseAgent(Succeed);
        ServiceProvider provider = services.BuildServiceProvider();

        AgentEngine engine = provider.GetRequiredService<AgentEngine>();
        Assert.Same(engine, provider.GetRequiredService<AgentEngine>());
        Assert.Equal(3, engine.MaxParallelAgents);
        Assert.Empty(engine.IsolationProviders);
        RunResult result = await engine.RunAsync(TaskPlan.Parse("tasks:\n  - id: a\n    instructions: x\n"), Ct);
        Assert.True(result.Succeeded, result.ToString());

        await provider.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => engine.RunAsync(TaskPlan.Parse("tasks:\n  - id: a\n    instructions: x\n"), Ct));
    }

    [Fact]
    public async Task AddParallelAgents_ConfigurationSection_BindsEveryOption()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ParallelAgents:MaxParallelAgents"] = "2",
            ["ParallelAgents:RepositoryPath"] = "/src/shop",
            ["ParallelAgents:MainBranch"] = "trunk",
            ["ParallelAgents:BranchPrefix"] = "bot/",
            ["ParallelAgents:WorktreesDirectory"] = "../wt",
            ["ParallelAgents:WorktreeIsolation"] = "false",
            ["ParallelAgents:ReportsDirectory"] = "",
            ["ParallelAgents:SharedMemoryPath"] = "mem/agent_memory.json",
            ["ParallelAgents:Model"] = "gpt-test",
            ["ParallelAgents:ChatClientServiceKey"] = "agents",
            ["ParallelAgents:ConflictForecasting"] = "false",
            ["ParallelAgents:CancellationGracePeriod"] = "3s",
            ["ParallelAgents:Retry:MaxAttempts"] = "5",
            ["ParallelAgents:Retry:BaseDelay"] = "00:00:02",
            ["ParallelAgents:Retry:MaxDelay"] = "1m",
            ["ParallelAgents:Retry:BackoffMultiplier"] = "1.5",
            ["ParallelAgents:Retry:UseJitter"] = "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddParallelAgents();
        await using ServiceProvider provider = services.BuildServiceProvider();

        ParallelAgentsOptions options = provider.GetRequiredService<IOptions<ParallelAgentsOptions>>().Value;

        Assert.Empty(options.ConfigurationProblems);
        Assert.Equal(2, options.MaxParallelAgents);
        Assert.Equal("/src/shop", options.RepositoryPath);
        Assert.Equal("trunk", options.MainBranch);
        Assert.Equal("bot/", options.BranchPrefix);
        Assert.Equal("../wt", options.WorktreesDirectory);
        Assert.False(options.WorktreeIsolation);
        Assert.Null(options.ReportsDirectory);
        Assert.Equal("mem/agent_memory.json", options.SharedMemoryPath);
        Assert.Equal("gpt-test", options.Model);
        Assert.Equal("agents", options.ChatClientServiceKey);
        Assert.False(options.ConflictForecasting);
        Assert.Equal(TimeSpan.FromSeconds(3), options.CancellationGracePeriod);
        Assert.Equal(5, options.Retry.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Retry.BaseDelay);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Retry.MaxDelay);
        Assert.Equal(1.5, options.Retry.BackoffMultiplier);
        Assert.False(options.Retry.UseJitter);
    }

    [Fact]
    public async Task AddParallelAgents_ConfiguredRepository_RunsInWorktreesWithTheConfiguredBranchesAndReports()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        string worktrees = Path.Combine(repo.Parent, "wt");
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ParallelAgents:RepositoryPath"] = repo.Path,
            ["ParallelAgents:BranchPrefix"] = "bot/",
            ["ParallelAgents:WorktreesDirectory"] = worktrees,
            ["ParallelAgents:ReportsDirectory"] = "out/reports",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddParallelAgents().UseAgent(async (context, ct) =>
        {
            Assert.StartsWith(worktrees, context.Workspace!.RootPath, StringComparison.Ordinal);
            await context.Workspace.Files.WriteAllTextAsync("a.txt", "a\n", ct);
            return AgentOutcome.Success("wrote a.txt");
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        AgentEngine engine = provider.GetRequiredService<AgentEngine>();

        RunResult result = await engine.RunAsync(TaskPlan.Parse("tasks:\n  - id: a\n    instructions: write a.txt\n"), Ct);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(["worktree"], engine.IsolationProviders);
        Assert.True(repo.BranchExists("bot/a"));
        Assert.False(repo.BranchExists("agent/a"));
        Assert.Equal("a\n", repo.Git("show", "main:a.txt"));
        Assert.NotNull(result.MergeSummaryPath);
        Assert.StartsWith(Path.Combine(repo.Path, "out", "reports"), result.MergeSummaryPath, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(repo.Path, "out", "reports", $"run_{result.RunId}.json")));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task AddParallelAgents_StatusSettings_ReachTheOptionsAndBadOnesAreListed()
    {
        IConfiguration good = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ParallelAgents:IdleThreshold"] = "90s",
            ["ParallelAgents:StatusReportInterval"] = "off",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(good);
        services.AddParallelAgents().UseAgent(Succeed);
        await using ServiceProvider provider = services.BuildServiceProvider();

        ParallelAgentsOptions options = provider.GetRequiredService<IOptions<ParallelAgentsOptions>>().Value;
        Assert.Equal((TimeSpan.FromSeconds(90), (TimeSpan?)null), (options.IdleThreshold, options.StatusReportInterval));
        Assert.NotNull(provider.GetRequiredService<AgentEngine>());

        IConfiguration bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ParallelAgents:IdleThreshold"] = "0s",
            ["ParallelAgents:StatusReportInterval"] = "soon",
        }).Build();
        var badServices = new ServiceCollection();
        badServices.AddSingleton(bad);
        badServices.AddParallelAgents().UseAgent(Succeed);
        await using ServiceProvider badProvider = badServices.BuildServiceProvider();

        var ex = Assert.Throws<ParallelAgentsConfigurationException>(() => badProvider.GetRequiredService<AgentEngine>());
        Assert.Equal(2, ex.Problems.Count);
        Assert.Contains(ex.Problems, p => p.Contains("'ParallelAgents:StatusReportInterval' is 'soon'", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("IdleThreshold must be more than zero", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddParallelAgents_CodeOverConfiguration_CodeWins()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ParallelAgents:MaxParallelAgents"] = "2",
            ["ParallelAgents:Model"] = "from-configuration",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddParallelAgents(o => o.MaxParallelAgents = 6).UseAgent(Succeed);
        await using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal(6, provider.GetRequiredService<AgentEngine>().MaxParallelAgents);
        Assert.Equal("from-configuration", provider.GetRequiredService<IOptions<ParallelAgentsOptions>>().Value.Model);
    }

    [Fact]
    public async Task AddParallelAgents_CalledTwice_AddsToOneRegistration()
    {
        var services = new ServiceCollection();
        services.AddParallelAgents(o => o.MaxParallelAgents = 2);
        services.AddParallelAgents(o => o.MaxParallelAgents += 3).UseAgent(Succeed);
        await using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal(5, provider.GetRequiredService<AgentEngine>().MaxParallelAgents);
        Assert.Single(provider.GetServices<IHostedService>());
    }

    [Fact]
    public async Task AddParallelAgents_NoAgentAndBadSettings_OneExceptionListsEveryProblem()
    {
        using var repo = new GitRepository();
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ParallelAgents:MaxParallelAgents"] = "0",
            ["ParallelAgents:MaxParalelAgents"] = "4",
            ["ParallelAgents:Retry:MaxAttempts"] = "three",
            ["ParallelAgents:RepositoryPath"] = repo.Path,
            ["ParallelAgents:BranchPrefix"] = "bad..prefix/",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddParallelAgents();
        await using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<ParallelAgentsConfigurationException>(() => provider.GetRequiredService<AgentEngine>());

        Assert.Equal(5, ex.Problems.Count);
        Assert.Contains(ex.Problems, p => p.Contains("'ParallelAgents:MaxParalelAgents'", StringComparison.Ordinal) && p.Contains("did you mean 'MaxParallelAgents'", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("'ParallelAgents:Retry:MaxAttempts' is 'three'", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("No agent is configured: register an IChatClient", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("MaxParallelAgents must be from 1 to 1,024, not 0", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("BranchPrefix must be empty or the valid start", StringComparison.Ordinal));
        Assert.StartsWith("The engine's configuration has 5 problems:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_HostWithoutAgent_FailsToStartWithEveryProblem()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddParallelAgents(o => o.MaxParallelAgents = 2000);
        using IHost host = builder.Build();

        var ex = await Assert.ThrowsAsync<ParallelAgentsConfigurationException>(() => host.StartAsync(Ct));

        Assert.Equal(2, ex.Problems.Count);
        Assert.Contains(ex.Problems, p => p.StartsWith("No agent is configured", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("not 2000", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UseRepository_InCodeOverConfiguredPath_WorksOnTheCodesRepository()
    {
        using var repo = new GitRepository();
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ParallelAgents:RepositoryPath"] = Path.Combine(repo.Parent, "does-not-exist"),
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddParallelAgents().UseRepository(repo.Path).UseAgent(async (context, ct) =>
        {
            await context.Workspace!.Files.WriteAllTextAsync("b.txt", "b\n", ct);
            return AgentOutcome.Success();
        });
        await using ServiceProvider provider = services.BuildServiceProvider();

        RunResult result = await provider.GetRequiredService<AgentEngine>().RunAsync(TaskPlan.Parse("tasks:\n  - id: b\n    instructions: x\n"), Ct);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("b\n", repo.Git("show", "main:b.txt"));
    }

    [Fact]
    public async Task UseSharedMemory_Factory_IsTheEnginesAndDisposedByTheContainer()
    {
        using var folder = new TempFolder();
        string path = folder.Combine("memory", "agent_memory.json");
        var services = new ServiceCollection();
        services.AddParallelAgents().UseAgent(Succeed).UseFileSharedMemory(path);
        ServiceProvider provider = services.BuildServiceProvider();

        AgentEngine engine = provider.GetRequiredService<AgentEngine>();
        Assert.Same(provider.GetRequiredService<ISharedMemory>(), engine.SharedMemory);
        await engine.SharedMemory!.SetAsync("discoveries/x", System.Text.Json.JsonDocument.Parse("1").RootElement, "test", Ct);
        await provider.DisposeAsync();

        // Disposed: the lock is released, so the store opens again, with what was written.
        await using FileSharedMemory reopened = SharedMemory.File(path);
        Assert.NotNull(await reopened.GetAsync("discoveries/x", Ct));
    }

    [Fact]
    public async Task SharedMemoryPath_LockedStore_IsListedAsAProblem()
    {
        using var folder = new TempFolder();
        string path = folder.Combine("agent_memory.json");
        await using FileSharedMemory holder = SharedMemory.File(path);
        var services = new ServiceCollection();
        services.AddParallelAgents(o => o.SharedMemoryPath = path).UseAgent(Succeed);
        await using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<ParallelAgentsConfigurationException>(() => provider.GetRequiredService<AgentEngine>());

        Assert.StartsWith("The shared memory cannot be opened:", Assert.Single(ex.Problems), StringComparison.Ordinal);
    }
}
