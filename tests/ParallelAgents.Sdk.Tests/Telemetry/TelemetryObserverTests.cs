using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using ParallelAgents.Sdk.Tests.TestSupport;
using static ParallelAgents.Sdk.Tests.TestSupport.Plans;

namespace ParallelAgents.Sdk.Tests.Telemetry;

/// <summary>The engine's spans and measurements, seen through an <see cref="ActivityListener"/> and a
/// <see cref="System.Diagnostics.Metrics.MeterListener"/>, for runs of scripted agents.</summary>
public class TelemetryObserverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_ScriptedAgentsWithRetryAndFailure_SpansNestRunAttemptsAndReports()
    {
        using var spans = new ActivityRecorder();
        var script = new ScriptedRun();
        await using AgentEngine engine = script.Build(new ParallelAgentsBuilder());

        RunResult result = await engine.RunAsync(ScriptedRun.Plan, Ct);

        Activity run = Assert.Single(spans.Named("parallel_agents.run"));
        Assert.Equal(spans.Root.SpanId, run.ParentSpanId);
        Assert.Equal(result.RunId, run.GetTagItem("parallel_agents.run.id"));
        Assert.Equal(4, run.GetTagItem("parallel_agents.run.task_count"));
        Assert.Equal(2, run.GetTagItem("parallel_agents.run.succeeded"));
        Assert.Equal(1, run.GetTagItem("parallel_agents.run.failed"));
        Assert.Equal(1, run.GetTagItem("parallel_agents.run.skipped"));
        Assert.Equal(ActivityStatusCode.Error, run.Status);
        Assert.Equal(result.StartedAt.UtcDateTime, run.StartTimeUtc);
        Assert.Equal(result.Duration, run.Duration);

        IReadOnlyList<Activity> attempts = spans.Named("invoke_agent");
        Assert.Equal(new[] { "a#1", "b#1", "b#2", "c#1" }, attempts.Select(Key).Order(StringComparer.Ordinal));
        Assert.All(attempts, a =>
        {
            Assert.Equal(run.SpanId, a.ParentSpanId);
            Assert.Equal(result.RunId, a.GetTagItem("parallel_agents.run.id"));
            Assert.Equal(0, a.GetTagItem("parallel_agents.lane"));
            Assert.Equal($"invoke_agent {a.GetTagItem("parallel_agents.task.id")}", a.DisplayName);
            Assert.Equal("invoke_agent", a.GetTagItem("gen_ai.operation.name"));
            // While the agent ran, its attempt's span was the current activity.
            Assert.Equal(a.SpanId, script.CurrentSpans[Key(a)]);
        });
        Activity a1 = attempts.Single(a => Key(a) == "a#1");
        Activity b1 = attempts.Single(a => Key(a) == "b#1");
        Activity b2 = attempts.Single(a => Key(a) == "b#2");
        Activity c1 = attempts.Single(a => Key(a) == "c#1");
        Assert.Equal("succeeded", a1.GetTagItem("parallel_agents.attempt.status"));
        Assert.Equal(ActivityStatusCode.Unset, a1.Status);
        Assert.Equal(100L, a1.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(20L, a1.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(0.5, a1.GetTagItem("parallel_agents.cost"));
        Assert.Equal(result["a"].Attempts[0].Duration, a1.Duration);
        Assert.Equal("failed", b1.GetTagItem("parallel_agents.attempt.status"));
        Assert.Equal(ActivityStatusCode.Error, b1.Status);
        Assert.Equal("flaky network", b1.StatusDescription);
        Assert.Equal("failed", b1.GetTagItem("error.type"));
        Assert.Equal("succeeded", b2.GetTagItem("parallel_agents.attempt.status"));
        Assert.True(b2.StartTimeUtc >= b1.StartTimeUtc + b1.Duration, "the retry starts after the first attempt ended");
        Assert.Equal(ActivityStatusCode.Error, c1.Status);
        Assert.Equal("broken", c1.StatusDescription);

        // What the agent traced itself nests under its attempt.
        Assert.Equal(a1.SpanId, script.UserSpanParent);

        Activity chat = Assert.Single(spans.Named("chat"));
        Assert.Equal(a1.SpanId, chat.ParentSpanId);
        Assert.Equal(ActivityKind.Client, chat.Kind);
        Assert.Equal("chat", chat.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(100L, chat.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(20L, chat.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(0.5, chat.GetTagItem("parallel_agents.cost"));
        Assert.Equal(TimeSpan.FromSeconds(2), chat.Duration);

        IReadOnlyList<Activity> tools = spans.Named("execute_tool");
        Activity read = Assert.Single(tools, t => t.DisplayName == "execute_tool read_file");
        Assert.Equal(a1.SpanId, read.ParentSpanId);
        Assert.Equal("read_file", read.GetTagItem("gen_ai.tool.name"));
        Assert.Equal(TimeSpan.FromSeconds(1), read.Duration);
        Assert.Equal(ActivityStatusCode.Unset, read.Status);
        // Reported from a thread the attempt's context did not flow to: the span still finds its attempt.
        Activity write = Assert.Single(tools, t => t.DisplayName == "execute_tool write_file");
        Assert.Equal(a1.SpanId, write.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Error, write.Status);
        Assert.Equal("tool_error", write.GetTagItem("error.type"));

        Activity command = Assert.Single(spans.Named("parallel_agents.command"));
        Assert.Equal(a1.SpanId, command.ParentSpanId);
        Assert.Equal("dotnet test", command.GetTagItem("process.command_line"));
        Assert.Equal(TimeSpan.FromSeconds(3), command.Duration);

        // The skipped task never ran: no span. File changes are no spans either.
        Assert.Equal(1 + 4 + 1 + 2 + 1, spans.Stopped.Count);
        Assert.DoesNotContain(spans.Stopped, s => Equals(s.GetTagItem("parallel_agents.task.id"), "d"));
        Assert.Same(spans.Root, Activity.Current);
    }

    [Fact]
    public async Task RunAsync_ScriptedAgentsWithRetryAndFailure_MeterCountsTasksAttemptsTokensAndReports()
    {
        using var meters = new MeasurementRecorder();
        var script = new ScriptedRun();
        await using AgentEngine engine = script.Build(new ParallelAgentsBuilder().UseMeterFactory(meters.Factory));

        RunResult result = await engine.RunAsync(ScriptedRun.Plan, Ct);

        Assert.Equal(4, meters.Sum("parallel_agents.tasks"));
        Assert.Equal(2, meters.Sum("parallel_agents.tasks", ("parallel_agents.task.state", "succeeded")));
        Assert.Equal(1, meters.Sum("parallel_agents.tasks", ("parallel_agents.task.state", "failed")));
        Assert.Equal(1, meters.Sum("parallel_agents.tasks", ("parallel_agents.task.state", "skipped")));
        Assert.Equal(2, meters.Sum("parallel_agents.attempts", ("parallel_agents.attempt.status", "succeeded")));
        Assert.Equal(2, meters.Sum("parallel_agents.attempts", ("parallel_agents.attempt.status", "failed")));
        Assert.Equal(4, meters.Of("parallel_agents.attempt.duration").Count);
        Assert.All(meters.Of("parallel_agents.attempt.duration"), m => Assert.Equal("s", m.Unit));

        Assert.Equal(100, meters.Sum("parallel_agents.tokens", ("gen_ai.token.type", "input")));
        Assert.Equal(20, meters.Sum("parallel_agents.tokens", ("gen_ai.token.type", "output")));
        Assert.Equal(0.5, meters.Sum("parallel_agents.cost"));
        Assert.Equal(new[] { 100.0 }, meters.Of("gen_ai.client.token.usage", ("gen_ai.token.type", "input"), ("gen_ai.operation.name", "chat")).Select(m => m.Value));
        Assert.Equal(new[] { 20.0 }, meters.Of("gen_ai.client.token.usage", ("gen_ai.token.type", "output")).Select(m => m.Value));
        Assert.Equal(new[] { 2.0 }, meters.Of("gen_ai.client.operation.duration").Select(m => m.Value));

        MeasurementRecorder.Measurement read = Assert.Single(meters.Of("parallel_agents.tool_calls", ("gen_ai.tool.name", "read_file")));
        Assert.False(read.Tags.ContainsKey("error.type"));
        MeasurementRecorder.Measurement write = Assert.Single(meters.Of("parallel_agents.tool_calls", ("gen_ai.tool.name", "write_file")));
        Assert.Equal("tool_error", write.Tags["error.type"]);
        Assert.Equal(1, meters.Sum("parallel_agents.commands"));
        Assert.Equal(new[] { 3.0 }, meters.Of("parallel_agents.command.duration").Select(m => m.Value));
        Assert.Equal(new[] { result.Duration.TotalSeconds }, meters.Of("parallel_agents.run.duration").Select(m => m.Value));

        // Without workspaces or a repository there is nothing to start, merge or forecast.
        Assert.Empty(meters.Of("parallel_agents.workspace.start.duration"));
        Assert.Empty(meters.Of("parallel_agents.merge.duration"));
        Assert.All(meters.Measurements, m => Assert.DoesNotContain(m.Tags.Keys, k => k is "parallel_agents.run.id" or "parallel_agents.task.id"));
    }

    [Fact]
    public async Task RunAsync_TwoTasksConflictInARepository_WorkspaceAndMergeSpansAndConflictCounts()
    {
        using var repo = new GitRepository(("shared.txt", "a\nb\nc\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: left
                instructions: x
              - id: right
                instructions: y
            """);
        using var spans = new ActivityRecorder();
        using var meters = new MeasurementRecorder();
        var logs = new ListLoggerFactory();
        // Both agents commit, then wait until the other has committed too, so both branches are live at once.
        using var bothCommitted = new CountdownEvent(2);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .UseSharedMemory(new InMemorySharedMemory())
            .UseConflictResolver(new ReportOnlyResolver())
            .WithMaxParallelAgents(2)
            .WithReportsDirectory(null)
            .UseMeterFactory(meters.Factory)
            .UseLoggerFactory(logs)
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("shared.txt", $"a\n{context.Task.Id}\nc\n", ct);
                await context.Workspace.CommitAsync($"{context.Task.Id} edits b", ct);
                bothCommitted.Signal();
                await Task.Run(() => bothCommitted.Wait(ct), ct);
                return AgentOutcome.Success();
            })
            .Build();
        var predictions = 0;
        IAsyncEnumerable<AgentEvent> stream = engine.WatchAsync(Ct);
        Task watcher = Task.Run(async () =>
        {
            await foreach (AgentEvent e in stream)
            {
                if (e.Kind == AgentEventKind.ConflictPredicted)
                {
                    predictions++;
                }
                else if (e.Kind == AgentEventKind.RunCompleted)
                {
                    break;
                }
            }
        }, Ct);

        RunResult result = await engine.RunAsync(plan, Ct);
        await watcher;

        MergeResult conflicted = Assert.Single(result.Merges, m => m.Status == MergeStatus.Conflict);
        MergeResult merged = Assert.Single(result.Merges, m => m.Status == MergeStatus.Merged);
        IReadOnlyList<Activity> attempts = spans.Named("invoke_agent");
        Assert.Equal(2, attempts.Count);

        IReadOnlyList<Activity> workspaces = spans.Named("parallel_agents.workspace");
        Assert.Equal(attempts.Select(a => a.SpanId.ToHexString()).Order(StringComparer.Ordinal), workspaces.Select(w => w.ParentSpanId.ToHexString()).Order(StringComparer.Ordinal));
        Assert.All(workspaces, w => Assert.StartsWith("agent/", (string?)w.GetTagItem("parallel_agents.workspace.branch"), StringComparison.Ordinal));
        Assert.Equal(2, meters.Of("parallel_agents.workspace.start.duration").Count);

        IReadOnlyList<Activity> merges = spans.Named("parallel_agents.merge");
        Assert.Equal(2, merges.Count);
        Assert.All(merges, m =>
        {
            Activity attempt = attempts.Single(a => a.SpanId == m.ParentSpanId);
            Assert.Equal(attempt.GetTagItem("parallel_agents.task.id"), m.GetTagItem("parallel_agents.task.id"));
        });
        Activity conflictSpan = merges.Single(m => Equals(m.GetTagItem("parallel_agents.task.id"), conflicted.TaskId));
        Assert.Equal("conflict", conflictSpan.GetTagItem("parallel_agents.merge.status"));
        Assert.Equal(1, conflictSpan.GetTagItem("parallel_agents.merge.conflicts"));
        Assert.Equal(ActivityStatusCode.Error, conflictSpan.Status);
        Assert.Equal(conflicted.Duration, conflictSpan.Duration);
        Activity mergedSpan = merges.Single(m => Equals(m.GetTagItem("parallel_agents.task.id"), merged.TaskId));
        Assert.Equal("merged", mergedSpan.GetTagItem("parallel_agents.merge.status"));
        Assert.Equal(merged.MergedCommit, mergedSpan.GetTagItem("parallel_agents.merge.commit"));
        Assert.Equal(ActivityStatusCode.Unset, mergedSpan.Status);

        Assert.Single(meters.Of("parallel_agents.merge.duration", ("parallel_agents.merge.status", "merged")));
        Assert.Single(meters.Of("parallel_agents.merge.duration", ("parallel_agents.merge.status", "conflict")));
        Assert.Equal(1, meters.Sum("parallel_agents.conflicts.met", ("parallel_agents.merge.status", "conflict")));
        Assert.Equal(1, meters.Sum("parallel_agents.conflicts.met"));
        Assert.Equal(1, meters.Sum("parallel_agents.conflicts.predicted", ("parallel_agents.conflict.with", "task")));
        Assert.Equal(predictions, meters.Sum("parallel_agents.conflicts.predicted"));

        // Every line of the run carries its id; the merge lines, logged after the agent returned, carry their task too.
        Assert.All(logs.Entries, e => Assert.Contains($"Run {result.RunId}", e.Scopes));
        ListLoggerFactory.Entry mergeLine = Assert.Single(logs.Entries,
            e => e.Message.StartsWith($"Task {conflicted.TaskId}: branch", StringComparison.Ordinal) && e.Message.Contains("did not reach", StringComparison.Ordinal));
        Assert.Contains($"Run {result.RunId} task {conflicted.TaskId} attempt 1 lane 0", mergeLine.Scopes);
        ListLoggerFactory.Entry mergedLine = Assert.Single(logs.Entries, e => e.Message.Contains(" Merged into main", StringComparison.Ordinal));
        Assert.Contains($"Run {result.RunId} task {merged.TaskId} attempt 1 lane 0", mergedLine.Scopes);
    }

    [Fact]
    public async Task RunAsync_AgentIgnoresCancellation_ItsAttemptSpanEndsWithTheRun()
    {
        using var spans = new ActivityRecorder();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(async (_, _) =>
            {
                started.TrySetResult();
                await release.Task;
                return AgentOutcome.Success();
            })
            .Configure(o => o.CancellationGracePeriod = TimeSpan.Zero)
            .Build();

        Task<RunResult> run = engine.RunAsync(Of(Work("stubborn")), cts.Token);
        await started.Task.WaitAsync(Ct);
        await cts.CancelAsync();
        RunResult result = await run.WaitAsync(Ct);
        IReadOnlyList<Activity> whenTheRunEnded = [.. spans.Stopped];
        release.SetResult();

        Activity attempt = Assert.Single(whenTheRunEnded, a => a.OperationName == "invoke_agent");
        Assert.Equal(ActivityStatusCode.Error, attempt.Status);
        Assert.Equal("the run ended before this attempt's agent stopped", attempt.StatusDescription);
        Assert.Equal(result.CompletedAt.UtcDateTime, attempt.StartTimeUtc + attempt.Duration);
        Activity runSpan = Assert.Single(whenTheRunEnded, a => a.OperationName == "parallel_agents.run");
        Assert.Equal(true, runSpan.GetTagItem("parallel_agents.run.was_cancelled"));
        Assert.Equal(1, runSpan.GetTagItem("parallel_agents.run.cancelled"));
    }

    [Fact]
    public async Task AddParallelAgents_ContainerHasAMeterFactory_TheEngineMeasuresThroughIt()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddParallelAgents().UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()));
        await using ServiceProvider provider = services.BuildServiceProvider();
        IMeterFactory factory = provider.GetRequiredService<IMeterFactory>();
        long tasks = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name == "parallel_agents.tasks")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref tasks, value));
        listener.Start();

        await provider.GetRequiredService<AgentEngine>().RunAsync(Of(Work("a"), Work("b", "a")), Ct);

        Assert.Equal(2, Interlocked.Read(ref tasks));
    }

    private static string Key(Activity attempt) =>
        $"{attempt.GetTagItem("parallel_agents.task.id")}#{attempt.GetTagItem("parallel_agents.attempt")}";

    /// <summary>
    /// A plan of four tasks run by a scripted agent: <c>a</c> succeeds after reporting a model call, two tool calls (one
    /// failed, reported from a thread the attempt's context does not flow to), a command and a file change; <c>b</c>
    /// fails transiently once, then succeeds; <c>c</c> fails; <c>d</c>, which depends on <c>c</c>, is skipped.
    /// </summary>
    private sealed class ScriptedRun
    {
        public static TaskPlan Plan { get; } = Of(Work("a"), Work("b"), Work("c"), Work("d", "c"));

        /// <summary>The current activity's span id inside the agent, by <c>task#attempt</c>.</summary>
        public ConcurrentDictionary<string, ActivitySpanId?> CurrentSpans { get; } = new();

        /// <summary>The parent of the span the agent of <c>a</c> made itself.</summary>
        public ActivitySpanId? UserSpanParent { get; private set; }

        public AgentEngine Build(ParallelAgentsBuilder builder) => builder
            .UseAgent(RunAsync)
            .WithMaxParallelAgents(2)
            .WithRetry(r => { r.MaxAttempts = 3; r.BaseDelay = TimeSpan.Zero; r.MaxDelay = TimeSpan.Zero; })
            .Build();

        private async ValueTask<AgentOutcome> RunAsync(AgentContext context, CancellationToken cancellationToken)
        {
            CurrentSpans[$"{context.Task.Id}#{context.Attempt}"] = Activity.Current?.SpanId;
            switch (context.Task.Id)
            {
                case "a":
                    Activity user = new Activity("user-code").Start();
                    UserSpanParent = user.ParentSpanId;
                    user.Stop();
                    context.Progress.Report(AgentProgress.ModelCall(100, 20, 0.5m, TimeSpan.FromSeconds(2)));
                    context.Progress.Report(AgentProgress.ToolCall("read_file", succeeded: true, TimeSpan.FromSeconds(1)));
                    Task elsewhere;
                    using (ExecutionContext.SuppressFlow())
                    {
                        elsewhere = Task.Run(() => context.Progress.Report(AgentProgress.ToolCall("write_file", succeeded: false)), cancellationToken);
                    }

                    await elsewhere;
                    context.Progress.Report(AgentProgress.CommandRun("dotnet test", succeeded: true, TimeSpan.FromSeconds(3)));
                    context.Progress.Report(AgentProgress.FileChanged("src/a.cs"));
                    return AgentOutcome.Success("done", new AgentUsage(100, 20, 0.5m, ToolCalls: 2, Turns: 1));
                case "b":
                    return context.Attempt == 1 ? AgentOutcome.Failure("flaky network", isTransient: true) : AgentOutcome.Success();
                default:
                    return AgentOutcome.Failure("broken");
            }
        }
    }
}
