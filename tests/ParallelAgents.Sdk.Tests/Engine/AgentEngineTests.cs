using System.Collections.Concurrent;
using ParallelAgents.Sdk.Tests.TestSupport;
using static ParallelAgents.Sdk.Tests.TestSupport.Plans;

namespace ParallelAgents.Sdk.Tests.Engine;

public class AgentEngineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_WithIsolationProvider_GivesEachAttemptAWorkspaceAndDisposesIt()
    {
        var provider = new TempDirectoryProvider("sandbox");
        var seen = new ConcurrentBag<string>();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseIsolation(provider)
            .Configure(o => o.DefaultIsolation = "sandbox")
            .WithRetry(r => r.BaseDelay = TimeSpan.Zero)
            .UseAgent(async (context, cancellationToken) =>
            {
                string root = context.Workspace!.RootPath;
                await File.WriteAllTextAsync(Path.Combine(root, "out.txt"), context.Task.Id, cancellationToken);
                seen.Add(root);
                return context.Task.Id == "flaky" && context.Attempt == 1
                    ? AgentOutcome.Failure("retry me", isTransient: true)
                    : AgentOutcome.Success();
            })
            .Build();

        RunResult result = await engine.RunAsync(Of(Work("a"), Work("flaky"), Work("b", "a")), Ct);

        Assert.True(result.Succeeded);
        Assert.Equal(4, provider.Created.Count);
        Assert.Equal(4, seen.Distinct().Count());
        Assert.Equal(provider.Created.Count, provider.Disposed.Count);
        Assert.All(provider.Created, path => Assert.False(Directory.Exists(path)));
        Assert.Contains(provider.Requests, r => r.Task.Id == "flaky" && r.Attempt == 2 && r.RunId == result.RunId);
    }

    [Fact]
    public async Task RunAsync_ProviderFailsToCreateWorkspace_FailsThatTaskOnly()
    {
        var provider = new TempDirectoryProvider("worktree") { FailFor = "broken" };
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseIsolation(provider)
            .UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()))
            .Build();

        RunResult result = await engine.RunAsync(Of(Work("broken"), Work("fine")), Ct);

        Assert.Equal(TaskState.Failed, result["broken"].State);
        Assert.Equal("InvalidOperationException: cannot make a workspace for broken", result["broken"].Error);
        Assert.Equal(TaskState.Succeeded, result["fine"].State);
    }

    [Fact]
    public async Task RunAsync_TaskNeedsUnregisteredIsolation_ThrowsWithFileLineAndColumnBeforeAnythingRuns()
    {
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: api
                isolation: container
                instructions: build it
            """, "config/tasks.yaml");
        int calls = 0;
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseIsolation(new TempDirectoryProvider("worktree"))
            .UseAgent((_, _) =>
            {
                Interlocked.Increment(ref calls);
                return ValueTask.FromResult(AgentOutcome.Success());
            })
            .Build();

        var ex = await Assert.ThrowsAsync<TaskPlanException>(() => engine.RunAsync(plan, Ct));

        TaskPlanProblem problem = Assert.Single(ex.Problems);
        Assert.Equal(new SourceLocation("config/tasks.yaml", 3, 16), problem.Location);
        Assert.Equal(
            "task 'api' asks for isolation 'container', but the engine has no such provider (it has: worktree); register a provider named 'container' with ParallelAgentsBuilder.UseIsolation(provider).",
            problem.Message);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task RunAsync_NoProvidersAndNoIsolationNamed_RunsWithoutWorkspace()
    {
        IAgentWorkspace? workspace = new TempDirectoryProvider.Workspace("x", "/tmp/never", null);
        await using AgentEngine engine = EngineFactory.Create((context, _) =>
        {
            workspace = context.Workspace;
            return ValueTask.FromResult(AgentOutcome.Success());
        });

        await engine.RunAsync(Of(Work("a")), Ct);

        Assert.Null(workspace);
    }

    [Fact]
    public async Task RunAsync_WhileAnotherRunIsInProgress_Throws()
    {
        var release = new TaskCompletionSource<AgentOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = EngineFactory.Create(async (_, _) =>
        {
            started.TrySetResult();
            return await release.Task;
        });

        Task<RunResult> first = engine.RunAsync(Of(Work("a")), Ct);
        await started.Task.WaitAsync(Ct);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.RunAsync(Of(Work("b")), Ct));
        release.SetResult(AgentOutcome.Success());
        RunResult result = await first.WaitAsync(Ct);
        RunResult second = await engine.RunAsync(Of(Work("c")), Ct);

        Assert.Contains("already in progress", ex.Message, StringComparison.Ordinal);
        Assert.True(result.Succeeded);
        Assert.True(second.Succeeded);
        Assert.NotEqual(result.RunId, second.RunId);
    }

    [Fact]
    public async Task WatchAsync_TwoWatchers_EachSeeEveryEventInSequenceOrder()
    {
        await using AgentEngine engine = EngineFactory.Create((_, _) => ValueTask.FromResult(AgentOutcome.Success()));
        Task<List<AgentEvent>> first = CollectUntilRunCompletedAsync(engine.WatchAsync(Ct));
        Task<List<AgentEvent>> second = CollectUntilRunCompletedAsync(engine.WatchAsync(Ct));

        RunResult result = await engine.RunAsync(Of(Work("a"), Work("b", "a")), Ct);
        List<AgentEvent> events = await first.WaitAsync(Ct);
        List<AgentEvent> others = await second.WaitAsync(Ct);

        Assert.Equal(events.Select(e => e.Sequence), others.Select(e => e.Sequence));
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal(
            [AgentEventKind.RunStarted, AgentEventKind.TaskQueued, AgentEventKind.TaskStarted, AgentEventKind.TaskSucceeded,
             AgentEventKind.TaskQueued, AgentEventKind.TaskStarted, AgentEventKind.TaskSucceeded, AgentEventKind.RunCompleted],
            events.Select(e => e.Kind));
        Assert.Equal(["a", "a", "a", "b", "b", "b"], events.Where(e => e.TaskId is not null).Select(e => e.TaskId));
        Assert.Same(result, events[^1].Result);
        Assert.All(events, e => Assert.Equal(result.RunId, e.RunId));
    }

    [Fact]
    public async Task WatchAsync_WatcherFallsBehind_LosesOldestEventsAndIsToldHowMany()
    {
        await using AgentEngine engine = EngineFactory.Create(
            (_, _) => ValueTask.FromResult(AgentOutcome.Success()),
            configure: o => o.EventBufferCapacity = 16);
        await using IAsyncEnumerator<AgentEvent> watcher = engine.WatchAsync(Ct).GetAsyncEnumerator(Ct);

        // The watcher reads nothing while 50 tasks publish about 150 events: the run is never held up.
        RunResult result = await engine.RunAsync(Of([.. Enumerable.Range(0, 50).Select(i => Work($"t{i}"))]), Ct);
        Assert.True(await watcher.MoveNextAsync());
        AgentEvent dropped = watcher.Current;
        var rest = new List<AgentEvent>();
        while (rest.Count < 16 && await watcher.MoveNextAsync())
        {
            rest.Add(watcher.Current);
        }

        Assert.True(result.Succeeded);
        Assert.Equal(AgentEventKind.EventsDropped, dropped.Kind);
        long total = rest[^1].Sequence;
        Assert.Equal(AgentEventKind.RunCompleted, rest[^1].Kind);
        Assert.Equal(total - 16, dropped.DroppedCount);
        Assert.Equal(dropped.DroppedCount + 1, rest[0].Sequence);
        Assert.Equal(Enumerable.Range((int)rest[0].Sequence, 16).Select(i => (long)i), rest.Select(e => e.Sequence));
    }

    [Fact]
    public async Task WatchAsync_EngineDisposed_StreamEnds()
    {
        AgentEngine engine = EngineFactory.Create((_, _) => ValueTask.FromResult(AgentOutcome.Success()));
        IAsyncEnumerable<AgentEvent> events = engine.WatchAsync(Ct);
        await engine.RunAsync(Of(Work("a")), Ct);

        await engine.DisposeAsync();
        int count = 0;
        await foreach (AgentEvent _ in events.WithCancellation(Ct))
        {
            count++;
        }

        Assert.Equal(5, count);
        Assert.Throws<ObjectDisposedException>(() => engine.WatchAsync(Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => engine.RunAsync(Of(Work("a")), Ct));
    }

    [Fact]
    public async Task DisposeAsync_DuringRun_CancelsTheRun()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        AgentEngine engine = EngineFactory.Create(async (_, cancellationToken) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return AgentOutcome.Success();
        });

        Task<RunResult> run = engine.RunAsync(Of(Work("a")), Ct);
        await started.Task.WaitAsync(Ct);
        await engine.DisposeAsync();
        RunResult result = await run.WaitAsync(Ct);

        Assert.True(result.WasCancelled);
        Assert.Equal(TaskState.Cancelled, result["a"].State);
    }

    [Fact]
    public async Task RunAsync_LogsCarryTheTaskInTheirScope()
    {
        var logger = new ListLoggerFactory();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent((context, _) =>
            {
                context.Logger.LogInformationMessage("working");
                return ValueTask.FromResult(AgentOutcome.Success());
            })
            .UseLoggerFactory(logger)
            .Build();

        RunResult result = await engine.RunAsync(Of(Work("api")), Ct);

        ListLoggerFactory.Entry entry = Assert.Single(logger.Entries, e => e.Message == "working");
        Assert.Contains(entry.Scopes, s => s.Contains($"task api attempt 1", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.Message.StartsWith($"Run {result.RunId} ended", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_WithSharedMemory_AgentsReadWhatTheirDependenciesShared()
    {
        await using ISharedMemory memory = SharedMemory.InMemory();
        IReadOnlyList<MemoryEntry>? seenByApi = null;
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseSharedMemory(memory)
            .UseAgent(async (context, cancellationToken) =>
            {
                ISharedMemory shared = context.Memory!;
                await shared.SetStatusAsync(context.Task.Id, new AgentStatusReport("started"), cancellationToken);
                if (context.Task.Id == "schema")
                {
                    await shared.ReportDiscoveryAsync("database-schema", new { Tables = new[] { "User", "Task" } }, context.Task.Id, cancellationToken);
                }
                else
                {
                    seenByApi = await shared.ListDiscoveriesAsync(cancellationToken);
                }

                await shared.SetStatusAsync(context.Task.Id, new AgentStatusReport("completed"), cancellationToken);
                return AgentOutcome.Success();
            })
            .Build();

        RunResult result = await engine.RunAsync(Of(Work("schema"), Work("api", "schema")), Ct);

        Assert.True(result.Succeeded);
        Assert.Same(memory, engine.SharedMemory);
        MemoryEntry discovery = Assert.Single(seenByApi!);
        Assert.Equal("discoveries/database-schema", discovery.Key);
        Assert.Equal("schema", discovery.Author);
        Assert.Equal("completed", (await memory.GetValueAsync<AgentStatusReport>("status/api", Ct))!.Status);
    }

    private static async Task<List<AgentEvent>> CollectUntilRunCompletedAsync(IAsyncEnumerable<AgentEvent> events)
    {
        var list = new List<AgentEvent>();
        await foreach (AgentEvent e in events)
        {
            list.Add(e);
            if (e.Kind == AgentEventKind.RunCompleted)
            {
                break;
            }
        }

        return list;
    }
}
