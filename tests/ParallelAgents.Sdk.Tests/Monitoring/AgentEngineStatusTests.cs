using Microsoft.Extensions.Time.Testing;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Monitoring;

public sealed class AgentEngineStatusTests
{
    [Fact]
    public async Task GetStatus_BeforeAnyRun_IsEmpty()
    {
        FakeTimeProvider time = EngineFactory.FakeTime();
        await using AgentEngine engine = EngineFactory.Create((_, _) => ValueTask.FromResult(AgentOutcome.Success()), timeProvider: time);

        RunStatus status = engine.GetStatus();

        Assert.Null(status.RunId);
        Assert.False(status.IsRunning);
        Assert.Empty(status.Agents);
        Assert.Equal(0, status.Summary.TotalAgents);
        Assert.Equal(time.GetUtcNow(), status.Timestamp);
    }

    [Fact]
    public async Task GetStatus_DuringAndAfterARun_FollowsEachAgentAndTurnsIdleAfterTheThreshold()
    {
        FakeTimeProvider time = EngineFactory.FakeTime();
        DateTimeOffset start = time.GetUtcNow();
        var working = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = EngineFactory.Create(async (context, ct) =>
        {
            if (context.Task.Id != "api")
            {
                return AgentOutcome.Success();
            }

            context.Progress.Report(AgentProgress.ModelCall(100, 20, 0.5m, TimeSpan.FromSeconds(2)));
            context.Progress.Report(AgentProgress.ToolCall("write_file", true));
            context.Progress.Report(AgentProgress.FileChanged("src/api.js"));
            context.Progress.Report(AgentProgress.FileChanged("src/api.js"));
            working.SetResult();
            await release.Task.WaitAsync(ct);
            // The outcome's usage is larger than what was reported: the larger counts, nothing twice.
            return AgentOutcome.Success("done", new AgentUsage(100, 20, 0.5m, ToolCalls: 3, Turns: 1));
        }, timeProvider: time);
        Task<RunResult> run = engine.RunAsync(Plans.Of(Plans.Work("api"), Plans.Work("ui", "api")), TestContext.Current.CancellationToken);
        await working.Task.WaitAsync(TestContext.Current.CancellationToken);

        time.Advance(TimeSpan.FromSeconds(10));
        RunStatus during = engine.GetStatus();

        Assert.True(during.IsRunning);
        Assert.NotNull(during.RunId);
        Assert.Equal(TimeSpan.FromSeconds(10), during.Elapsed);
        Assert.Equal(["api", "ui"], during.Agents.Select(a => a.Name));
        AgentStatus api = during.Agents[0];
        Assert.Equal((TaskState.Running, 1, 0), (api.State, api.Attempt, api.Lane));
        Assert.Equal(["src/api.js"], api.FilesChanged);
        Assert.Equal((1, 100L, 20L, 0.5m), (api.ToolCalls, api.InputTokens, api.OutputTokens, api.Cost));
        Assert.True(api.IsActive);
        Assert.Equal(start, api.LastActivity);
        Assert.Equal("changed src/api.js", api.LastAction);
        Assert.Equal(TimeSpan.FromSeconds(10), api.Elapsed);
        AgentStatus ui = during.Agents[1];
        Assert.Equal((TaskState.Pending, 0, false, (DateTimeOffset?)null), (ui.State, ui.Attempt, ui.IsActive, ui.LastActivity));
        Assert.Equal((2, 1, 1, 1), (during.Summary.TotalAgents, during.Summary.ActiveAgents, during.Summary.RunningAgents, during.Summary.TotalFiles));

        // 59 s after its last report the agent is still Active; at 60 s (the default threshold) it is Idle, still running.
        time.Advance(TimeSpan.FromSeconds(49));
        Assert.True(engine.GetStatus().Agents[0].IsActive);
        time.Advance(TimeSpan.FromSeconds(1));
        RunStatus idle = engine.GetStatus();
        Assert.Equal((TaskState.Running, false), (idle.Agents[0].State, idle.Agents[0].IsActive));
        Assert.Equal((0, 1), (idle.Summary.ActiveAgents, idle.Summary.RunningAgents));

        release.SetResult();
        RunResult result = await run;
        time.Advance(TimeSpan.FromMinutes(5));
        RunStatus after = engine.GetStatus();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(result.RunId, after.RunId);
        Assert.False(after.IsRunning);
        Assert.Equal(TimeSpan.FromSeconds(60), after.Elapsed);
        Assert.Equal([TaskState.Succeeded, TaskState.Succeeded], after.Agents.Select(a => a.State));
        Assert.Equal(TimeSpan.FromSeconds(60), after.Agents[0].Elapsed);
        Assert.Equal((3, 100L, 20L), (after.Agents[0].ToolCalls, after.Agents[0].InputTokens, after.Agents[0].OutputTokens));
        Assert.Equal(0, after.Summary.ActiveAgents);
    }

    [Fact]
    public async Task GetStatus_FirstAttemptsThatReportNothing_RunAndSucceedWithTheirTimesAndARetryShowsItsAttempt()
    {
        // The live status of a single agent's first attempt is read from the task's state (nothing is written for it
        // unless it fails or reports): running, then succeeded with its times, like any other attempt.
        FakeTimeProvider time = EngineFactory.FakeTime();
        DateTimeOffset start = time.GetUtcNow();
        using var bothWaiting = new CountdownEvent(2);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = EngineFactory.Create(async (context, ct) =>
        {
            if (context.Task.Id == "flaky" && context.Attempt == 1)
            {
                return AgentOutcome.Failure("503 from the model", isTransient: true);
            }

            if (context.Task.Id != "after")
            {
                bothWaiting.Signal();
                await release.Task.WaitAsync(ct);
            }

            return AgentOutcome.Success();
        }, timeProvider: time);
        Task<RunResult> run = engine.RunAsync(Plans.Of(Plans.Work("quiet"), Plans.Work("flaky"), Plans.Work("after", "quiet")), TestContext.Current.CancellationToken);
        await Task.Run(() => bothWaiting.Wait(TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);

        time.Advance(TimeSpan.FromSeconds(10));
        RunStatus during = engine.GetStatus();

        AgentStatus quiet = during.Agents[0];
        Assert.Equal((TaskState.Running, 1, true), (quiet.State, quiet.Attempt, quiet.IsActive));
        Assert.Equal((start, start), (quiet.StartedAt, quiet.LastActivity));
        Assert.Equal(TimeSpan.FromSeconds(10), quiet.Elapsed);
        AgentStatus flaky = during.Agents[1];
        Assert.Equal((TaskState.Running, 2), (flaky.State, flaky.Attempt));
        Assert.Equal(start, flaky.StartedAt);
        Assert.Equal((TaskState.Pending, 0), (during.Agents[2].State, during.Agents[2].Attempt));
        Assert.Equal((3, 2, 2), (during.Summary.TotalAgents, during.Summary.RunningAgents, during.Summary.ActiveAgents));

        time.Advance(TimeSpan.FromSeconds(5));
        release.SetResult();
        RunResult result = await run;
        time.Advance(TimeSpan.FromMinutes(1));
        RunStatus after = engine.GetStatus();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal([(TaskState.Succeeded, 1), (TaskState.Succeeded, 2), (TaskState.Succeeded, 1)], after.Agents.Select(a => (a.State, a.Attempt)));
        Assert.Equal(TimeSpan.FromSeconds(15), after.Agents[0].Elapsed);
        Assert.Equal(start + TimeSpan.FromSeconds(15), after.Agents[0].LastActivity);
        Assert.Equal(result.Tasks[0].Duration, after.Agents[0].Elapsed);
        Assert.Equal((0, 0), (after.Summary.RunningAgents, after.Summary.ActiveAgents));
    }

    [Fact]
    public async Task GetStatus_SeveralAgentsOnATask_NamesThemAsTheirBranchesAndTheLoserIsCancelled()
    {
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = EngineFactory.Create(async (context, ct) =>
        {
            if (context.Lane == 1)
            {
                secondStarted.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            await secondStarted.Task.WaitAsync(ct);
            return AgentOutcome.Success();
        });

        RunResult result = await engine.RunAsync(
            Plans.Of(new AgentTask { Id = "race", Instructions = "x", AgentCount = 2 }), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        RunStatus status = engine.GetStatus();
        Assert.Equal(["race+1", "race+2"], status.Agents.Select(a => a.Name));
        Assert.Equal([0, 1], status.Agents.Select(a => a.Lane));
        Assert.Equal([TaskState.Succeeded, TaskState.Cancelled], status.Agents.Select(a => a.State));
    }

    [Fact]
    public async Task GetStatus_TaskSkippedAfterAFailure_ShowsTheFailedAgentAndTheSkippedOne()
    {
        await using AgentEngine engine = EngineFactory.Create((context, _) => ValueTask.FromResult(
            context.Task.Id == "db" ? AgentOutcome.Failure("schema broken") : AgentOutcome.Success()));

        await engine.RunAsync(Plans.Of(Plans.Work("db"), Plans.Work("api", "db")), TestContext.Current.CancellationToken);

        RunStatus status = engine.GetStatus();
        Assert.Equal([(TaskState.Failed, 1), (TaskState.Skipped, 0)], status.Agents.Select(a => (a.State, a.Attempt)));
    }

    [Fact]
    public async Task WatchAsync_AgentReportsProgress_StreamsItWithTheAgentsStatus()
    {
        await using AgentEngine engine = EngineFactory.Create((context, _) =>
        {
            context.Progress.Report(AgentProgress.CommandRun("npm test", false, TimeSpan.FromSeconds(3)));
            return ValueTask.FromResult(AgentOutcome.Success());
        });
        await using IAsyncEnumerator<AgentEvent> events = engine.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        Task<RunResult> run = engine.RunAsync(Plans.Of(Plans.Work("tests")), TestContext.Current.CancellationToken);
        AgentEvent progress = await events.WaitForAsync(e => e.Kind == AgentEventKind.AgentProgress);
        await run;

        Assert.Equal(("tests", 1, 0), (progress.TaskId, progress.Attempt, progress.Lane));
        Assert.Equal(AgentProgressKind.CommandRun, progress.Progress!.Kind);
        Assert.Equal(("npm test", false, TimeSpan.FromSeconds(3)), (progress.Progress.Name, progress.Progress.Succeeded, progress.Progress.Duration));
        Assert.Equal("ran npm test (failed)", progress.Message);
        Assert.Equal(("tests", TaskState.Running, "ran npm test (failed)"), (progress.AgentStatus!.TaskId, progress.AgentStatus.State, progress.AgentStatus.LastAction));
    }

    [Fact]
    public async Task GetStatus_ChatClientAgent_CountsItsModelCallsToolCallsCostAndFiles()
    {
        var client = new FakeChatClient();
        client.Call("write_file", new { path = "a.txt", content = "a" }, inputTokens: 300, outputTokens: 40).Call("finish", new { summary = "wrote a.txt" });
        var options = new ChatClientAgentOptions { TranscriptDirectory = null };
        options.Prices["fake-model"] = new ModelPrice(10m, 20m);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(new ChatClientAgent(client, options))
            .UseIsolation(new TempDirectoryProvider("worktree"))
            .Build();

        RunResult result = await engine.RunAsync(Plans.Of(Plans.Work("api")), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        AgentStatus api = Assert.Single(engine.GetStatus().Agents);
        Assert.Equal(["a.txt"], api.FilesChanged);
        Assert.Equal((2, 310L, 45L), (api.ToolCalls, api.InputTokens, api.OutputTokens));
        Assert.Equal(((310 * 10m) + (45 * 20m)) / 1_000_000m, api.Cost);
        Assert.Equal("tool finish", api.LastAction);
    }

    [Fact]
    public async Task GetStatus_RepositoryRun_FilesChangedIncludeWhatTheAgentLeftForTheEngineToCommit()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                // Written without a progress report: only the engine's commit knows of it.
                await context.Workspace!.Files.WriteAllTextAsync("docs/guide.md", "guide\n", ct);
                context.Progress.Report(AgentProgress.FileChanged("src/app.js"));
                await context.Workspace.Files.WriteAllTextAsync("src/app.js", "app\n", ct);
                return AgentOutcome.Success();
            })
            .Build();

        RunResult result = await engine.RunAsync(Plans.Of(Plans.Work("docs")), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(["docs/guide.md", "src/app.js"], Assert.Single(engine.GetStatus().Agents).FilesChanged);
    }

    [Fact]
    public void Build_InvalidIdleThresholdAndStatusInterval_ListsBoth()
    {
        var e = Assert.Throws<ParallelAgentsConfigurationException>(() => new ParallelAgentsBuilder()
            .UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()))
            .Configure(o =>
            {
                o.IdleThreshold = TimeSpan.Zero;
                o.StatusReportInterval = TimeSpan.FromMilliseconds(500);
            }));

        Assert.Contains(e.Problems, p => p.StartsWith("IdleThreshold must be more than zero", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("StatusReportInterval must be at least one second", StringComparison.Ordinal));
    }
}
