using System.Collections.Concurrent;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Recovery;

/// <summary>RestartTaskAsync and CancelTaskAsync while a run goes on.</summary>
public class TaskControlTests
{
    private static readonly TaskPlan Plan = TaskPlan.Parse("""
        tasks:
          - id: slow
            instructions: works until stopped
          - id: after
            dependencies: [slow]
            instructions: needs slow
          - id: other
            instructions: independent
        """);

    [Fact]
    public async Task CancelTaskAsync_RunningTask_EndsCancelledSkipsItsDependentsAndTheOthersGoOn()
    {
        var slowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new ConcurrentQueue<string>();
        await using AgentEngine engine = EngineFactory.Create(async (context, ct) =>
        {
            calls.Enqueue(context.Task.Id);
            if (context.Task.Id == "slow")
            {
                slowStarted.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            // The independent task finishes only after the cancel, so it provably went on after it.
            await slowCancelled.Task.WaitAsync(ct);
            return AgentOutcome.Success();
        });

        Task<RunResult> running = engine.RunAsync(Plan, TestContext.Current.CancellationToken);
        await slowStarted.Task;
        await engine.CancelTaskAsync("slow", TestContext.Current.CancellationToken);
        slowCancelled.SetResult();
        RunResult result = await running;

        Assert.False(result.WasCancelled);
        Assert.Equal(TaskState.Cancelled, result["slow"].State);
        Assert.Equal("cancelled by CancelTaskAsync", result["slow"].Error);
        Assert.Equal(AttemptStatus.Cancelled, result["slow"].Attempts.Single().Status);
        Assert.Equal(TaskState.Skipped, result["after"].State);
        Assert.Equal("dependency 'slow' was cancelled", result["after"].Error);
        Assert.Equal(TaskState.Succeeded, result["other"].State);
        Assert.DoesNotContain("after", calls);
        var ended = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.CancelTaskAsync("slow", TestContext.Current.CancellationToken));
        Assert.Contains("No run is in progress", ended.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestartTaskAsync_RunningTask_StartsItAgainOnItsBranchWithTheWorkItHadDone()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawWork = new ConcurrentDictionary<int, bool>();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .WithRetry(r => r.MaxAttempts = 1)
            .UseAgent(async (context, ct) =>
            {
                IAgentWorkspace workspace = context.Workspace!;
                sawWork[context.Attempt] = workspace.Files.FileExists("half.txt");
                if (context.Attempt == 1)
                {
                    // Not committed by the agent: the engine commits it when the attempt is stopped.
                    await workspace.Files.WriteAllTextAsync("half.txt", "half\n", ct);
                    started.SetResult();
                    await Task.Delay(Timeout.Infinite, ct);
                }

                await workspace.Files.WriteAllTextAsync("done.txt", "done\n", ct);
                return AgentOutcome.Success();
            })
            .Build();
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: job
                instructions: work
            """);

        Task<RunResult> running = engine.RunAsync(plan, TestContext.Current.CancellationToken);
        await started.Task;
        await engine.RestartTaskAsync("job", TestContext.Current.CancellationToken);
        RunResult result = await running;

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal([AttemptStatus.Cancelled, AttemptStatus.Succeeded], result["job"].Attempts.Select(a => a.Status));
        Assert.Equal("restarted by RestartTaskAsync", result["job"].Attempts[0].Error);
        Assert.False(sawWork[1]);
        Assert.True(sawWork[2], "the restarted attempt continues on the branch where the stopped one's work was committed");
        Assert.Equal("half\n", repo.Git("show", "main:half.txt"));
        Assert.Equal("done\n", repo.Git("show", "main:done.txt"));
        Assert.DoesNotContain("-before-", repo.Git("branch", "--list"), StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RestartAndCancel_BadRequests_SayWhatIsWrong()
    {
        var slowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = EngineFactory.Create(async (context, ct) =>
        {
            if (context.Task.Id == "slow")
            {
                slowStarted.SetResult();
                await release.Task.WaitAsync(ct);
            }

            return AgentOutcome.Success();
        }, maxParallelAgents: 1);

        var noRun = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.RestartTaskAsync("slow", TestContext.Current.CancellationToken));
        Assert.Contains("No run is in progress", noRun.Message, StringComparison.Ordinal);

        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: quick
                priority: high
                instructions: first
              - id: slow
                priority: medium
                instructions: second
              - id: later
                priority: low
                instructions: third
            """);
        var events = engine.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        Task<RunResult> running = engine.RunAsync(plan, TestContext.Current.CancellationToken);
        await slowStarted.Task;
        await events.WaitForAsync(e => e.Kind == AgentEventKind.TaskSucceeded && e.TaskId == "quick");

        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => engine.CancelTaskAsync("nope", TestContext.Current.CancellationToken));
        Assert.Contains("quick, slow, later", unknown.Message, StringComparison.Ordinal);
        var final = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.RestartTaskAsync("quick", TestContext.Current.CancellationToken));
        Assert.Contains("already ended (Succeeded)", final.Message, StringComparison.Ordinal);
        var notRunning = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.RestartTaskAsync("later", TestContext.Current.CancellationToken));
        Assert.Contains("no attempt running", notRunning.Message, StringComparison.Ordinal);

        release.SetResult();
        RunResult result = await running;
        Assert.True(result.Succeeded, result.ToString());
        await events.DisposeAsync();
    }

    [Fact]
    public async Task ResumeAsync_TaskCancelledOnPurpose_StaysCancelledWhileTasksCancelledWithTheRunRunAgain()
    {
        using var folder = new TempFolder();
        var slowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var otherStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new ConcurrentQueue<string>();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bool firstRun = true;
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .WithStateDirectory(folder.Path)
            .WithMaxParallelAgents(2)
            .UseAgent(async (context, ct) =>
            {
                calls.Enqueue(context.Task.Id);
                if (firstRun)
                {
                    (context.Task.Id == "slow" ? slowStarted : otherStarted).SetResult();

                    await Task.Delay(Timeout.Infinite, ct);
                }

                return AgentOutcome.Success();
            })
            .Build();

        Task<RunResult> running = engine.RunAsync(Plan, cts.Token);
        await Task.WhenAll(slowStarted.Task, otherStarted.Task);
        await engine.CancelTaskAsync("slow", TestContext.Current.CancellationToken);
        await cts.CancelAsync();
        RunResult first = await running;
        firstRun = false;

        RunResult resumed = await engine.ResumeAsync(first.RunId, TestContext.Current.CancellationToken);

        Assert.Equal(TaskState.Cancelled, resumed["slow"].State);
        Assert.Equal(TaskState.Skipped, resumed["after"].State);
        Assert.Equal(TaskState.Succeeded, resumed["other"].State);
        Assert.Equal(1, calls.Count(c => c == "slow"));
        Assert.Equal(2, calls.Count(c => c == "other"));
    }
}
