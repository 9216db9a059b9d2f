using System.Collections.Concurrent;
using ParallelAgents.Sdk.Tests.TestSupport;
using static ParallelAgents.Sdk.Tests.TestSupport.Plans;

namespace ParallelAgents.Sdk.Tests.Engine;

/// <summary>The engine starts the providers a plan uses before the first task and ends them after the last, and
/// owns the providers an extension package registers.</summary>
public class IsolationProviderLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_ProviderWithLifecycle_IsStartedBeforeTheFirstWorkspaceAndEndedAfterTheLast()
    {
        var journal = new ConcurrentQueue<string>();
        var used = new LifecycleProvider("sandbox", journal);
        var unused = new LifecycleProvider("unused", journal);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseIsolation(used)
            .UseIsolation(unused)
            .Configure(o => o.DefaultIsolation = "sandbox")
            .UseAgent((context, _) =>
            {
                journal.Enqueue("agent " + context.Task.Id);
                return ValueTask.FromResult(AgentOutcome.Success());
            })
            .Build();

        RunResult result = await engine.RunAsync(Of(Work("a"), Work("b", "a")), Ct);

        string[] events = [.. journal];
        Assert.True(result.Succeeded);
        Assert.Equal($"start sandbox {result.RunId}", events[0]);
        Assert.Equal($"end sandbox {result.RunId}", events[^1]);
        Assert.Equal(
            ["agent a", "agent b", "create sandbox a", "create sandbox b", "dispose sandbox a", "dispose sandbox b"],
            events[1..^1].Order(StringComparer.Ordinal));
        Assert.True(Array.IndexOf(events, "create sandbox a") < Array.IndexOf(events, "agent a"));
        Assert.True(Array.IndexOf(events, "agent a") < Array.IndexOf(events, "dispose sandbox a"));
    }

    [Fact]
    public async Task RunAsync_ProviderStartThrows_ThrowsBeforeAnyAgentAndEndsTheProvidersAlreadyStarted()
    {
        var journal = new ConcurrentQueue<string>();
        var first = new LifecycleProvider("first", journal);
        var broken = new LifecycleProvider("broken", journal) { StartError = new TimeoutException("no engine answered at unix:///nowhere") };
        int agents = 0;
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseIsolation(first)
            .UseIsolation(broken)
            .UseAgent((_, _) =>
            {
                Interlocked.Increment(ref agents);
                return ValueTask.FromResult(AgentOutcome.Success());
            })
            .Build();
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: a
                isolation: first
                instructions: x
              - id: b
                isolation: broken
                instructions: y
            """);

        TimeoutException error = await Assert.ThrowsAsync<TimeoutException>(() => engine.RunAsync(plan, Ct));

        Assert.Equal("no engine answered at unix:///nowhere", error.Message);
        Assert.Equal(0, agents);
        Assert.Equal(["start first", "start broken", "end first"], journal.Select(e => string.Join(' ', e.Split(' ').Take(2))));

        // The engine is free for another run once the failed one has thrown.
        broken.StartError = null;
        RunResult result = await engine.RunAsync(plan, Ct);
        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task RunAsync_ProviderEndThrows_TheRunStillReturnsItsResult()
    {
        var journal = new ConcurrentQueue<string>();
        var provider = new LifecycleProvider("sandbox", journal) { EndError = new InvalidOperationException("network in use") };
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseIsolation(provider)
            .Configure(o => o.DefaultIsolation = "sandbox")
            .UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()))
            .Build();

        RunResult result = await engine.RunAsync(Of(Work("a")), Ct);

        Assert.True(result.Succeeded);
        Assert.Contains(journal, e => e.StartsWith("end sandbox", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Build_OwnedIsolation_IsMadeFromTheBuildersSettingsAndDisposedWithTheEngine()
    {
        var journal = new ConcurrentQueue<string>();
        OwnedIsolationContext? seen = null;
        LifecycleProvider? made = null;
        AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository("/some/repository", mainBranch: "trunk")
            .UseOwnedIsolation(new OwnedIsolation
            {
                Name = "owned",
                Validate = (_, _) => { },
                Create = context =>
                {
                    seen = context;
                    return made = new LifecycleProvider("owned", journal);
                },
            })
            .UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()))
            .Build();

        Assert.Contains("owned", engine.IsolationProviders);
        Assert.NotNull(seen);
        Assert.Equal("/some/repository", seen.RepositoryPath);
        Assert.Equal("trunk", seen.MainBranch);
        Assert.Null(seen.Worktrees);
        Assert.Empty(journal);

        await engine.DisposeAsync();

        Assert.Equal(["dispose provider owned"], journal);
        Assert.NotNull(made);
    }

    [Fact]
    public void Build_OwnedIsolationProblems_AreListedWithTheBuildersOwn()
    {
        bool created = false;
        ParallelAgentsConfigurationException error = Assert.Throws<ParallelAgentsConfigurationException>(() => new ParallelAgentsBuilder()
            .UseOwnedIsolation(new OwnedIsolation
            {
                Name = "owned",
                Validate = (_, problems) => problems.Add("Owned: the image is missing."),
                Create = _ =>
                {
                    created = true;
                    return new LifecycleProvider("owned", new ConcurrentQueue<string>());
                },
            })
            .Build());

        Assert.Equal(2, error.Problems.Count);
        Assert.StartsWith("No agent is configured", error.Problems[0], StringComparison.Ordinal);
        Assert.Equal("Owned: the image is missing.", error.Problems[1]);
        Assert.False(created);
    }

    /// <summary>A provider of temporary folders that writes what happens to it into a journal.</summary>
    private sealed class LifecycleProvider(string name, ConcurrentQueue<string> journal) : IIsolationProvider, IIsolationProviderLifecycle, IAsyncDisposable
    {
        public string Name => name;

        public Exception? StartError { get; set; }

        public Exception? EndError { get; init; }

        public ValueTask StartRunAsync(string runId, CancellationToken cancellationToken = default)
        {
            journal.Enqueue($"start {name} {runId}");
            return StartError is null ? ValueTask.CompletedTask : ValueTask.FromException(StartError);
        }

        public ValueTask EndRunAsync(string runId, CancellationToken cancellationToken = default)
        {
            journal.Enqueue($"end {name} {runId}");
            return EndError is null ? ValueTask.CompletedTask : ValueTask.FromException(EndError);
        }

        public ValueTask<IAgentWorkspace> CreateWorkspaceAsync(WorkspaceRequest request, CancellationToken cancellationToken = default)
        {
            journal.Enqueue($"create {name} {request.Task.Id}");
            string root = Directory.CreateTempSubdirectory("pa-lifecycle-").FullName;
            return ValueTask.FromResult<IAgentWorkspace>(new JournalWorkspace(request.Task.Id, root, () => journal.Enqueue($"dispose {name} {request.Task.Id}")));
        }

        public ValueTask DisposeAsync()
        {
            journal.Enqueue($"dispose provider {name}");
            return ValueTask.CompletedTask;
        }
    }

    private sealed class JournalWorkspace(string taskId, string root, Action disposed) : IAgentWorkspace
    {
        public string TaskId => taskId;

        public string RootPath => root;

        public string? Branch => null;

        public string? BaseCommit => null;

        public WorkspaceFiles Files { get; } = new(root);

        public ValueTask<CommandResult> ExecuteAsync(CommandRequest request, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public ValueTask<WorkspaceCommit?> CommitAsync(string message, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public ValueTask DisposeAsync()
        {
            Directory.Delete(root, recursive: true);
            disposed();
            return ValueTask.CompletedTask;
        }
    }
}
