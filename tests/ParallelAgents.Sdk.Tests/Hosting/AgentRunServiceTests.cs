using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Hosting;

/// <summary>The hosted service that runs the plans of the IAgentRunQueue, and its shutdown.</summary>
public class AgentRunServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IHost BuildHost(Action<IParallelAgentsBuilder> use, Action<ParallelAgentsOptions>? configure = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        use(builder.Services.AddParallelAgents(configure));
        return builder.Build();
    }

    [Fact]
    public async Task Submit_TwoPlans_RunOneAfterTheOtherInOrder()
    {
        var log = new ConcurrentQueue<string>();
        using IHost host = BuildHost(b => b.UseAgent(async (context, ct) =>
        {
            log.Enqueue($"{context.RunId} {context.Task.Id} start");
            await Task.Yield();
            log.Enqueue($"{context.RunId} {context.Task.Id} end");
            return AgentOutcome.Success();
        }));
        IAgentRunQueue queue = host.Services.GetRequiredService<IAgentRunQueue>();

        // Submitted before the host starts: they wait for it.
        QueuedRun first = queue.Submit(TaskPlan.Parse("tasks:\n  - id: a1\n    instructions: x\n  - id: a2\n    instructions: x\n"), Ct);
        QueuedRun second = queue.Submit(TaskPlan.Parse("tasks:\n  - id: b1\n    instructions: x\n"), Ct);
        Assert.Equal(2, queue.PendingCount);
        Assert.NotEqual(first.RunId, second.RunId);
        await host.StartAsync(Ct);

        RunResult firstResult = await first.Completion.WaitAsync(Ct);
        RunResult secondResult = await second.Completion.WaitAsync(Ct);
        await host.StopAsync(Ct);

        Assert.True(firstResult.Succeeded, firstResult.ToString());
        Assert.True(secondResult.Succeeded, secondResult.ToString());
        Assert.Equal(first.RunId, firstResult.RunId);
        Assert.Equal(second.RunId, secondResult.RunId);
        Assert.True(secondResult.StartedAt >= firstResult.CompletedAt);
        string[] entries = [.. log];
        Assert.Equal(6, entries.Length);
        Assert.All(entries[..4], e => Assert.StartsWith(first.RunId + " a", e, StringComparison.Ordinal));
        Assert.Equal([$"{second.RunId} b1 start", $"{second.RunId} b1 end"], entries[4..]);
        Assert.Equal(0, queue.PendingCount);
    }

    [Fact]
    public async Task Submit_PlanTheEngineRefuses_FailsThatRunAndRunsTheNext()
    {
        using IHost host = BuildHost(b => b.UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success())));
        IAgentRunQueue queue = host.Services.GetRequiredService<IAgentRunQueue>();
        await host.StartAsync(Ct);

        QueuedRun refused = queue.Submit(TaskPlan.Parse("tasks:\n  - id: a\n    isolation: container\n    instructions: x\n"), Ct);
        QueuedRun next = queue.Submit(TaskPlan.Parse("tasks:\n  - id: b\n    instructions: x\n"), Ct);

        var ex = await Assert.ThrowsAsync<TaskPlanException>(() => refused.Completion.WaitAsync(Ct));
        Assert.Contains("isolation 'container'", ex.Message, StringComparison.Ordinal);
        Assert.True((await next.Completion.WaitAsync(Ct)).Succeeded);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Submit_CancelledWhileWaiting_IsNotRun()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ran = new ConcurrentQueue<string>();
        using IHost host = BuildHost(b => b.UseAgent(async (context, ct) =>
        {
            ran.Enqueue(context.Task.Id);
            started.TrySetResult();
            await release.Task.WaitAsync(ct);
            return AgentOutcome.Success();
        }));
        IAgentRunQueue queue = host.Services.GetRequiredService<IAgentRunQueue>();
        await host.StartAsync(Ct);
        QueuedRun running = queue.Submit(TaskPlan.Parse("tasks:\n  - id: a\n    instructions: x\n"), Ct);
        using var cancel = new CancellationTokenSource();
        QueuedRun waiting = queue.Submit(TaskPlan.Parse("tasks:\n  - id: b\n    instructions: x\n"), cancel.Token);
        await started.Task.WaitAsync(Ct);

        await cancel.CancelAsync();
        var ex = await Assert.ThrowsAsync<RunNotStartedException>(() => waiting.Completion.WaitAsync(Ct));
        release.TrySetResult();

        Assert.Equal(waiting.RunId, ex.RunId);
        Assert.Contains("cancelled while it waited", ex.Message, StringComparison.Ordinal);
        Assert.True((await running.Completion.WaitAsync(Ct)).Succeeded);
        await host.StopAsync(Ct);
        Assert.Equal(["a"], ran);
    }

    [Fact]
    public async Task StopAsync_DuringRun_CancelsItCommitsTheWorkInProgressAndReportsQueuedPlansNotRun()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IHost host = BuildHost(
            b => b.UseRepository(repo.Path).UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("half.txt", "half done\n", ct);
                started.TrySetResult();

                // Works until the host stops.
                await Task.Delay(Timeout.Infinite, ct);
                return AgentOutcome.Success();
            }),
            o => o.ReportsDirectory = null);
        IAgentRunQueue queue = host.Services.GetRequiredService<IAgentRunQueue>();
        await host.StartAsync(Ct);
        QueuedRun running = queue.Submit(TaskPlan.Parse("tasks:\n  - id: a\n    instructions: x\n"), Ct);
        QueuedRun queued = queue.Submit(TaskPlan.Parse("tasks:\n  - id: b\n    instructions: y\n"), Ct);
        await started.Task.WaitAsync(Ct);

        await host.StopAsync(Ct);

        Assert.True(running.Completion.IsCompleted, "the run in progress ends before StopAsync returns");
        RunResult result = await running.Completion;
        Assert.True(result.WasCancelled);
        Assert.Equal(TaskState.Cancelled, result["a"].State);
        Assert.Equal("half done\n", repo.Git("show", "agent/a:half.txt"));
        Assert.Contains("work in progress", repo.Git("log", "-1", "--format=%s", "agent/a"), StringComparison.Ordinal);
        Assert.DoesNotContain("half.txt", repo.Git("ls-tree", "--name-only", "main"), StringComparison.Ordinal);
        Assert.Single(repo.Worktrees());

        var notRun = await Assert.ThrowsAsync<RunNotStartedException>(() => queued.Completion);
        Assert.Equal(queued.RunId, notRun.RunId);
        Assert.Contains("the host stopped while it waited in the queue", notRun.Message, StringComparison.Ordinal);
        Assert.False(repo.BranchExists("agent/b"));
        Assert.Throws<InvalidOperationException>(() => queue.Submit(TaskPlan.Parse("tasks:\n  - id: c\n    instructions: z\n"), Ct));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task StopAsync_DuringRun_LeavesTheRunResumableAndResumeFinishesItWithoutRedoingWhatSucceeded()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new ConcurrentQueue<string>();
        bool stopping = true;
        Func<AgentContext, CancellationToken, ValueTask<AgentOutcome>> agent = async (context, ct) =>
        {
            IAgentWorkspace workspace = context.Workspace!;
            calls.Enqueue($"{context.Task.Id} {context.Attempt} {workspace.Files.FileExists("half.txt")}");
            if (context.Task.Id == "b" && stopping)
            {
                await workspace.Files.WriteAllTextAsync("half.txt", "half done\n", ct);
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            await workspace.Files.WriteAllTextAsync(context.Task.Id + ".txt", "done\n", ct);
            return AgentOutcome.Success();
        };
        TaskPlan plan = TaskPlan.Parse("tasks:\n  - id: a\n    instructions: x\n  - id: b\n    dependencies: [a]\n    instructions: y\n");
        var logs = new ListLoggerFactory();
        string runId;
        using (IHost host = BuildHost(b => b.UseRepository(repo.Path).UseAgent(agent).Services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(logs), o => o.ReportsDirectory = null))
        {
            await host.StartAsync(Ct);
            QueuedRun running = host.Services.GetRequiredService<IAgentRunQueue>().Submit(plan, Ct);
            runId = running.RunId;
            await started.Task.WaitAsync(Ct);
            await host.StopAsync(Ct);
            Assert.True((await running.Completion).WasCancelled);
        }

        string journalPath = Path.Combine(repo.Path, ".git", "parallel-agents", "runs", runId, "journal.jsonl");
        RunJournalState journal = RunJournalState.Read(journalPath, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.True(journal.Ended);
        Assert.True(journal.Resumable, "the journal of a run stopped with the host says it can be resumed");
        Assert.Equal(TaskState.Succeeded, journal.Tasks[0].State);
        Assert.Contains(logs.Entries, e => e.Message.Contains($"ResumeAsync(\"{runId}\")", StringComparison.Ordinal));

        stopping = false;
        using (IHost host = BuildHost(b => b.UseRepository(repo.Path).UseAgent(agent), o => o.ReportsDirectory = null))
        {
            RunResult resumed = await host.Services.GetRequiredService<AgentEngine>().ResumeAsync(runId, Ct);

            Assert.True(resumed.Succeeded, resumed.ToString());
        }

        // a ran once; b ran again from the work in progress its stopped attempt committed.
        Assert.Equal(["a 1 False", "b 1 False", "b 2 True"], calls);
        Assert.Equal("done\n", repo.Git("show", "main:b.txt"));
        Assert.Equal("half done\n", repo.Git("show", "main:half.txt"));
        Assert.Equal(2, repo.Git("log", "--first-parent", "--format=%s", "main").Split('\n').Count(l => l.StartsWith("Merge branch", StringComparison.Ordinal)));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task Submit_ContainerDisposedWithoutAHost_WaitingRunsAreNotRun()
    {
        var services = new ServiceCollection();
        services.AddParallelAgents().UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()));
        ServiceProvider provider = services.BuildServiceProvider();
        QueuedRun waiting = provider.GetRequiredService<IAgentRunQueue>().Submit(TaskPlan.Parse("tasks:\n  - id: a\n    instructions: x\n"), Ct);

        await provider.DisposeAsync();

        var ex = await Assert.ThrowsAsync<RunNotStartedException>(() => waiting.Completion);
        Assert.Contains("services were disposed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_RunFailsWithASecretInItsException_TheServiceLogsItRedacted()
    {
        const string Secret = "hunter2-configured-secret";
        var logs = new ListLoggerFactory();
        using IHost host = BuildHost(
            b => b.UseIsolation(new FailingLifecycleProvider($"the engine refused token {Secret}"))
                .UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()))
                .Services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(logs),
            o => o.Redaction.SecretValues.Add(Secret));
        await host.StartAsync(Ct);

        QueuedRun run = host.Services.GetRequiredService<IAgentRunQueue>().Submit(
            TaskPlan.Parse("tasks:\n  - id: a\n    isolation: failing\n    instructions: x\n"), Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => run.Completion.WaitAsync(Ct));
        await host.StopAsync(Ct);

        ListLoggerFactory.Entry failed = Assert.Single(logs.Entries, e => e.Message.StartsWith($"Queued run {run.RunId} could not run", StringComparison.Ordinal));
        Assert.Contains("the engine refused token [REDACTED]", failed.Exception!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => (e.Message + e.Exception).Contains(Secret, StringComparison.Ordinal));
    }

    /// <summary>A provider whose start of a run fails, as a container provider's does when no Docker engine answers.</summary>
    private sealed class FailingLifecycleProvider(string error) : IIsolationProvider, IIsolationProviderLifecycle
    {
        public string Name => "failing";

        public ValueTask<IAgentWorkspace> CreateWorkspaceAsync(WorkspaceRequest request, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("no workspace is made: the run never starts");

        public ValueTask StartRunAsync(string runId, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException(error);

        public ValueTask EndRunAsync(string runId, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
