using Microsoft.Extensions.Time.Testing;
using Spectre.Console.Testing;

namespace ParallelAgents.Sdk.Console.Tests;

public sealed class AgentStatusTableTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static TaskPlan Plan() => TaskPlan.Create(
    [
        new AgentTask { Id = "database-schema", Instructions = "make the schema" },
        new AgentTask { Id = "backend-api", Instructions = "make the API", Dependencies = ["database-schema"] },
    ]);

    private static AgentEvent Event(AgentEventKind kind, string? taskId, double seconds, int? attempt = null, TaskState? state = null, string? message = null) =>
        new() { Kind = kind, RunId = "run-1", Timestamp = Start.AddSeconds(seconds), TaskId = taskId, Attempt = attempt, State = state, Message = message };

    private static string Draw(AgentStatusTable table)
    {
        var console = new TestConsole().Width(200);
        console.Write(table);
        return console.Output;
    }

    [Fact]
    public void Render_PlanNotStarted_ShowsEveryTaskPending()
    {
        string output = Draw(new AgentStatusTable(Plan(), new FakeTimeProvider(Start)));

        Assert.Contains("waiting for the run to start: 0/2 done", output);
        Assert.Matches(@"database-schema\s*│\s*Pending", output);
        Assert.Matches(@"backend-api\s*│\s*Pending", output);
    }

    [Fact]
    public void Apply_RunningTaskWithProgress_ShowsAttemptActivityToolsTokensCostElapsedAndFiles()
    {
        var time = new FakeTimeProvider(Start);
        var table = new AgentStatusTable(Plan(), time);
        table.Apply(Event(AgentEventKind.RunStarted, null, 0));
        table.Apply(Event(AgentEventKind.TaskStarted, "database-schema", 1, attempt: 2, state: TaskState.Running));
        time.SetUtcNow(Start.AddSeconds(50));
        table.Apply("database-schema", AgentProgress.ModelCall(12_000, 500, 0.0125m));
        table.Apply("database-schema", AgentProgress.ToolCall("write_file", succeeded: true));
        table.Apply("database-schema", AgentProgress.FileChanged("db/schema.sql"));
        table.Apply("database-schema", AgentProgress.FileChanged("db/seed.sql"));
        table.Apply("database-schema", AgentProgress.FileChanged("db/schema.sql"));
        table.Apply("database-schema", AgentProgress.ToolCall("run_command", succeeded: false));
        time.SetUtcNow(Start.AddSeconds(73));

        string output = Draw(table);

        // task, state, try, last activity, now, tools, tokens, cost, elapsed, files: the same path twice is one file.
        Assert.Matches(@"database-schema\s*│\s*Running\s*│\s*2\s*│\s*tool run_command \(failed\)\s*│\s*active\s*│\s*2\s*│\s*12\.5k\s*│\s*\$0\.0125\s*│\s*1m12s\s*│\s*2\s*│", output);
        Assert.Contains("run run-1: 0/2 done, 1 running, 1m13s", output);
    }

    [Fact]
    public void Render_RunningAgentQuietPastIdleAfter_SaysIdle()
    {
        var time = new FakeTimeProvider(Start);
        var table = new AgentStatusTable(Plan(), time) { IdleAfter = TimeSpan.FromSeconds(10) };
        table.Apply(Event(AgentEventKind.TaskStarted, "database-schema", 0, attempt: 1));
        time.SetUtcNow(Start.AddSeconds(9));
        Assert.Matches(@"database-schema.*│\s*active\s*│", Draw(table));

        time.SetUtcNow(Start.AddSeconds(10));
        Assert.Matches(@"database-schema.*│\s*idle\s*│", Draw(table));
    }

    [Fact]
    public void Apply_TaskEvents_ReturnsOneLineEachWithTheTaskFirst()
    {
        var table = new AgentStatusTable(Plan(), new FakeTimeProvider(Start));

        Assert.Equal("run run-1 started", table.Apply(Event(AgentEventKind.RunStarted, null, 0)));
        Assert.Equal("database-schema: started attempt 1", table.Apply(Event(AgentEventKind.TaskStarted, "database-schema", 1, attempt: 1)));
        Assert.Equal("database-schema: failed: checks failed\nexit 1".Replace("\n", " ", StringComparison.Ordinal),
            table.Apply(Event(AgentEventKind.TaskFailed, "database-schema", 2, message: "checks failed\nexit 1")));
        Assert.Equal("backend-api: skipped: database-schema failed",
            table.Apply(Event(AgentEventKind.TaskSkipped, "backend-api", 2, message: "database-schema failed")));

        string output = Draw(table);
        // Nothing runs and nothing reported tokens, tools or cost: those columns are left out.
        Assert.Matches(@"database-schema\s*│\s*Failed\s*│\s*1\s*│\s*failed: checks failed exit 1\s*│\s*1\.0s\s*│\s*│", output);
        Assert.DoesNotContain("Tokens", output);
        Assert.DoesNotContain("Now", output);
        Assert.Matches(@"backend-api\s*│\s*Skipped", output);
        Assert.Contains("run run-1: 2/2 done, 0 running", output);
    }

    [Fact]
    public void Apply_MergesAndForecasts_ListsMergesAndOnlyConflictsNotCleared()
    {
        var table = new AgentStatusTable(Plan(), new FakeTimeProvider(Start));
        ConflictForecast Forecast(string task, string? other, string path) => new()
        {
            TaskId = task, Branch = "agent/" + task, Commit = "c1", OtherTaskId = other, OtherBranch = other is null ? "main" : "agent/" + other,
            OtherCommit = "c2", Conflicts = [new MergeConflict { Path = path, Kind = "content" }], MemoryKey = $"conflicts/predicted/{task}/{other ?? "main"}",
        };
        ConflictForecast cleared = Forecast("database-schema", null, "README.md");
        table.Apply(new AgentEvent { Kind = AgentEventKind.ConflictPredicted, RunId = "run-1", Timestamp = Start, TaskId = "backend-api", Forecast = Forecast("backend-api", "database-schema", "src/api.js") });
        table.Apply(new AgentEvent { Kind = AgentEventKind.ConflictPredicted, RunId = "run-1", Timestamp = Start, TaskId = "database-schema", Forecast = cleared });
        Assert.Null(table.Apply(new AgentEvent { Kind = AgentEventKind.ConflictCleared, RunId = "run-1", Timestamp = Start, TaskId = "database-schema", Forecast = cleared }));
        string? merged = table.Apply(new AgentEvent
        {
            Kind = AgentEventKind.BranchMerged, RunId = "run-1", Timestamp = Start, TaskId = "database-schema",
            Merge = new MergeResult { TaskId = "database-schema", Branch = "agent/database-schema", Status = MergeStatus.Merged, Files = ["db/schema.sql"] },
        });
        table.Apply(new AgentEvent
        {
            Kind = AgentEventKind.MergeFailed, RunId = "run-1", Timestamp = Start, TaskId = "backend-api",
            Merge = new MergeResult { TaskId = "backend-api", Branch = "agent/backend-api", Status = MergeStatus.Conflict, Message = "src/api.js conflicts" },
        });

        string output = Draw(table);

        Assert.Equal("database-schema: merged into main (Merged, 1 file)", merged);
        Assert.Contains("database-schema (agent/database-schema): Merged, 1 file(s)", output);
        Assert.Contains("backend-api (agent/backend-api): Conflict, 0 file(s): src/api.js conflicts", output);
        Assert.Contains("backend-api <-> database-schema: src/api.js", output);
        Assert.DoesNotContain("README.md", output);
    }

    [Fact]
    public void Apply_EngineStatus_TakesEachTasksAgentsTotals()
    {
        var table = new AgentStatusTable(Plan(), new FakeTimeProvider(Start.AddSeconds(5)));
        table.Apply(Event(AgentEventKind.RunStarted, null, 0));
        table.Apply(Event(AgentEventKind.TaskStarted, "database-schema", 1, attempt: 1));
        AgentStatus Lane(int lane, int tools, long input, params string[] files) => new()
        {
            Name = lane == 0 ? "database-schema" : $"database-schema+{lane}", TaskId = "database-schema", Lane = lane, State = TaskState.Running,
            Attempt = 1, ToolCalls = tools, InputTokens = input, OutputTokens = 10, Cost = 0.5m, FilesChanged = files,
            LastActivity = Start.AddSeconds(4), LastAction = "tool read_file",
        };
        var status = new RunStatus
        {
            RunId = "run-1", Timestamp = Start.AddSeconds(5), IsRunning = true, Agents = [Lane(0, 3, 100, "a.sql", "b.sql"), Lane(1, 2, 50, "b.sql", "c.sql")],
            Summary = new RunStatusSummary(),
        };

        table.Apply(status);
        table.Apply(new RunStatus { RunId = "another-run", Timestamp = Start, Agents = [Lane(0, 99, 99_999)], Summary = new RunStatusSummary() });

        // Both agents' totals: 5 tool calls, 170 tokens, $1.00, 3 distinct files.
        Assert.Matches(@"database-schema\s*│\s*Running\s*│\s*1\s*│\s*tool read_file\s*│\s*active\s*│\s*5\s*│\s*170\s*│\s*\$1\.0000\s*│\s*4\.0s\s*│\s*3\s*│", Draw(table));
    }

    [Fact]
    public void Apply_TaskRejectedInReview_ShowsRejectedAndCountsItDone()
    {
        var table = new AgentStatusTable(Plan(), new FakeTimeProvider(Start));
        table.Apply(Event(AgentEventKind.RunStarted, null, 0));

        string? line = table.Apply(Event(AgentEventKind.TaskFailed, "database-schema", 1, state: TaskState.Rejected, message: "not what we asked for"));

        Assert.Equal("database-schema: rejected in review: not what we asked for", line);
        string output = Draw(table);
        Assert.Matches(@"database-schema\s*│\s*Rejected", output);
        Assert.Contains("1/2 done", output);
    }
}
