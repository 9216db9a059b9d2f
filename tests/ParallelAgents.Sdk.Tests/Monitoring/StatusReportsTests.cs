using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Monitoring;

public sealed class StatusReportsTests : IDisposable
{
    private readonly TempFolder _reports = new();

    public void Dispose() => _reports.Dispose();

    [Fact]
    public async Task RunAsync_WithAReportsFolder_WritesTheOriginalsStatusFileEvery30SecondsAndTheRunReportAtTheEnd()
    {
        FakeTimeProvider time = EngineFactory.FakeTime();
        DateTimeOffset start = time.GetUtcNow();
        var working = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(async (context, ct) =>
            {
                if (context.Task.Id == "api")
                {
                    context.Progress.Report(AgentProgress.ModelCall(1000, 200, 0.25m, TimeSpan.FromSeconds(4)));
                    context.Progress.Report(AgentProgress.FileChanged("src/api.js"));
                    context.Progress.Report(AgentProgress.FileChanged("src/routes.js"));
                    working.SetResult();
                    await release.Task.WaitAsync(ct);
                }

                return AgentOutcome.Success($"did {context.Task.Id}");
            })
            .UseTimeProvider(time)
            .WithReportsDirectory(_reports.Path)
            .Build();
        Task<RunResult> run = engine.RunAsync(Plans.Of(Plans.Work("api"), Plans.Work("ui", "api")), TestContext.Current.CancellationToken);
        await working.Task.WaitAsync(TestContext.Current.CancellationToken);
        Assert.Empty(StatusFiles());

        time.Advance(TimeSpan.FromSeconds(30));
        JsonElement first = ReadJson(Assert.Single(StatusFiles()));
        time.Advance(TimeSpan.FromSeconds(30));
        string[] files = StatusFiles();

        Assert.Equal([$"status_{start.ToUnixTimeSeconds() + 30}.json", $"status_{start.ToUnixTimeSeconds() + 60}.json"], files.Select(Path.GetFileName));
        // The original coordinator's shape: timestamp, agents by name (files, last_activity, status), summary.
        Assert.Equal("2026-11-27T12:00:30.000Z", first.GetProperty("timestamp").GetString());
        JsonElement api = first.GetProperty("agents").GetProperty("api");
        Assert.Equal(2, api.GetProperty("files").GetInt32());
        Assert.Equal("12:00:00", api.GetProperty("last_activity").GetString());
        Assert.Equal("Active", api.GetProperty("status").GetString());
        Assert.Equal("running", api.GetProperty("state").GetString());
        Assert.Equal(["src/api.js", "src/routes.js"], api.GetProperty("files_changed").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal((1000, 200, 0.25m), (api.GetProperty("input_tokens").GetInt64(), api.GetProperty("output_tokens").GetInt64(), api.GetProperty("cost").GetDecimal()));
        JsonElement ui = first.GetProperty("agents").GetProperty("ui");
        Assert.Equal((0, "No activity", "Idle", "pending"),
            (ui.GetProperty("files").GetInt32(), ui.GetProperty("last_activity").GetString(), ui.GetProperty("status").GetString(), ui.GetProperty("state").GetString()));
        JsonElement summary = first.GetProperty("summary");
        Assert.Equal((2, 1, 2), (summary.GetProperty("total_agents").GetInt32(), summary.GetProperty("active_agents").GetInt32(), summary.GetProperty("total_files").GetInt32()));
        // A minute without activity: Idle.
        JsonElement second = ReadJson(files[1]);
        Assert.Equal("Idle", second.GetProperty("agents").GetProperty("api").GetProperty("status").GetString());
        Assert.Equal(0, second.GetProperty("summary").GetProperty("active_agents").GetInt32());

        release.SetResult();
        RunResult result = await run;
        time.Advance(TimeSpan.FromSeconds(90));

        Assert.Equal(2, StatusFiles().Length);
        Assert.Empty(Directory.GetFiles(_reports.Path, "*.tmp"));
        JsonElement report = ReadJson(Path.Combine(_reports.Path, $"run_{result.RunId}.json"));
        Assert.Equal(result.RunId, report.GetProperty("run_id").GetString());
        Assert.Equal(60, report.GetProperty("duration_seconds").GetDouble());
        Assert.True(report.GetProperty("succeeded").GetBoolean());
        JsonElement totals = report.GetProperty("summary");
        Assert.Equal((2, 2, 0), (totals.GetProperty("total_tasks").GetInt32(), totals.GetProperty("succeeded").GetInt32(), totals.GetProperty("failed").GetInt32()));
        Assert.Equal((1000, 0.25m), (totals.GetProperty("input_tokens").GetInt64(), totals.GetProperty("cost").GetDecimal()));
        JsonElement[] tasks = [.. report.GetProperty("tasks").EnumerateArray()];
        Assert.Equal(["api", "ui"], tasks.Select(t => t.GetProperty("task_id").GetString()));
        Assert.Equal(("succeeded", "did api", 1), (tasks[0].GetProperty("state").GetString(), tasks[0].GetProperty("summary").GetString(), tasks[0].GetProperty("attempt_count").GetInt32()));
        Assert.Equal(60, tasks[0].GetProperty("duration_seconds").GetDouble());
        Assert.Equal(["src/api.js", "src/routes.js"], tasks[0].GetProperty("files_changed").EnumerateArray().Select(f => f.GetString()));
        JsonElement attempt = Assert.Single(tasks[0].GetProperty("attempts").EnumerateArray().ToArray());
        Assert.Equal(("succeeded", 60d), (attempt.GetProperty("status").GetString(), attempt.GetProperty("duration_seconds").GetDouble()));
        Assert.Equal(JsonValueKind.Null, tasks[0].GetProperty("merge").ValueKind);
    }

    [Fact]
    public async Task RunAsync_StatusReportIntervalNull_WritesNoStatusFilesButTheRunReport()
    {
        FakeTimeProvider time = EngineFactory.FakeTime();
        var working = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(async (_, ct) =>
            {
                working.SetResult();
                await release.Task.WaitAsync(ct);
                return AgentOutcome.Success();
            })
            .UseTimeProvider(time)
            .WithReportsDirectory(_reports.Path)
            .Configure(o => o.StatusReportInterval = null)
            .Build();

        Task<RunResult> run = engine.RunAsync(Plans.Of(Plans.Work("a")), TestContext.Current.CancellationToken);
        await working.Task.WaitAsync(TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromMinutes(2));
        release.SetResult();
        RunResult result = await run;

        Assert.Empty(StatusFiles());
        Assert.True(File.Exists(Path.Combine(_reports.Path, $"run_{result.RunId}.json")));
    }

    [Fact]
    public async Task RunAsync_WithoutRepositoryOrReportsFolder_WritesNoReports()
    {
        string current = Directory.GetCurrentDirectory();
        await using AgentEngine engine = EngineFactory.Create((_, _) => ValueTask.FromResult(AgentOutcome.Success()));

        RunResult result = await engine.RunAsync(Plans.Of(Plans.Work("a")), TestContext.Current.CancellationToken);

        Assert.False(File.Exists(Path.Combine(current, "reports", $"run_{result.RunId}.json")));
    }

    [Fact]
    public async Task RunAsync_RepositoryRun_TheRunReportSitsBesideTheMergeReportsWithTheMerge()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("hello.txt", "hello\n", ct);
                return AgentOutcome.Success("wrote hello.txt");
            })
            .Build();

        RunResult result = await engine.RunAsync(Plans.Of(Plans.Work("hello")), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        string reports = Path.Combine(repo.Path, "reports");
        Assert.Single(Directory.GetFiles(reports, "merge_hello_*.json"));
        JsonElement task = Assert.Single(ReadJson(Path.Combine(reports, $"run_{result.RunId}.json")).GetProperty("tasks").EnumerateArray().ToArray());
        JsonElement merge = task.GetProperty("merge");
        Assert.Equal(("merged", "agent/hello", true), (merge.GetProperty("status").GetString(), merge.GetProperty("branch").GetString(), merge.GetProperty("reached_main").GetBoolean()));
        Assert.Equal(repo.Head("main"), merge.GetProperty("merged_commit").GetString());
        Assert.Equal(["hello.txt"], merge.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["hello.txt"], task.GetProperty("files_changed").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(result.MergeSummaryPath, ReadJson(Path.Combine(reports, $"run_{result.RunId}.json")).GetProperty("merge_summary_path").GetString());
    }

    [Fact]
    public async Task Observer_SecretsInErrorsCommandsAndPaths_AreRedactedInEveryReportAndEvent()
    {
        const string Secret = "sk-test-hunter2-0123456789";
        FakeTimeProvider time = EngineFactory.FakeTime();
        DateTimeOffset start = time.GetUtcNow();
        var events = new EventHub(64, time);
        var observer = new StatusObserver(
            new AgentEngineOptions { ReportsPath = _reports.Path }, time, events, new SecretRedactor([Secret]).Redact, NullLogger.Instance);
        TaskPlan plan = Plans.Of(Plans.Work("deploy"));
        AgentTask task = plan.Tasks[0];
        await using IAsyncEnumerator<AgentEvent> watcher = events.Subscribe(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        observer.RunStarted("run-1", plan, start);
        observer.AttemptStarted("run-1", task, 0, 1, 0, start);
        observer.Progress(task, 1, 0, AgentProgress.CommandRun($"deploy --token {Secret}", false, TimeSpan.FromSeconds(1)));
        observer.Progress(task, 1, 0, AgentProgress.FileChanged($"keys/{Secret}.txt"));
        time.Advance(TimeSpan.FromSeconds(30));
        string error = $"deploy failed: 401 for token {Secret}";
        observer.AttemptEnded(task, 0, 1, 0, AttemptStatus.Failed, TimeSpan.FromSeconds(30), error, null);
        observer.TaskEnded(task, 0, TaskState.Failed, error, time.GetUtcNow());
        observer.RunEnded(new RunResult
        {
            RunId = "run-1",
            StartedAt = start,
            CompletedAt = time.GetUtcNow(),
            Tasks =
            [
                new TaskResult
                {
                    TaskId = "deploy",
                    State = TaskState.Failed,
                    Error = error,
                    Attempts = [new AttemptResult { Attempt = 1, Status = AttemptStatus.Failed, StartedAt = start, Duration = TimeSpan.FromSeconds(30), Error = error }],
                },
            ],
        });

        string status = File.ReadAllText(Assert.Single(StatusFiles()));
        string run = File.ReadAllText(Path.Combine(_reports.Path, "run_run-1.json"));
        Assert.DoesNotContain(Secret, status, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, run, StringComparison.Ordinal);
        JsonElement agent = JsonDocument.Parse(status).RootElement.GetProperty("agents").GetProperty("deploy");
        Assert.Equal("changed keys/[REDACTED].txt", agent.GetProperty("last_action").GetString());
        Assert.Equal(["keys/[REDACTED].txt"], agent.GetProperty("files_changed").EnumerateArray().Select(f => f.GetString()));
        JsonElement task0 = Assert.Single(JsonDocument.Parse(run).RootElement.GetProperty("tasks").EnumerateArray().ToArray());
        Assert.Equal("deploy failed: 401 for token [REDACTED]", task0.GetProperty("error").GetString());
        Assert.Equal("deploy failed: 401 for token [REDACTED]", task0.GetProperty("attempts")[0].GetProperty("error").GetString());

        Assert.True(await watcher.MoveNextAsync());
        AgentEvent command = watcher.Current;
        Assert.Equal(("deploy --token [REDACTED]", "ran deploy --token [REDACTED] (failed)"), (command.Progress!.Name, command.Message));
        Assert.Equal(["keys/[REDACTED].txt"], observer.GetStatus().Agents[0].FilesChanged);
    }

    private string[] StatusFiles() => [.. Directory.GetFiles(_reports.Path, "status_*.json").Order(StringComparer.Ordinal)];

    private static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
}
