using System.Text;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Monitoring;

public sealed class StatusReportsSnapshotTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void StatusJson_TwoAgents_MatchesApprovedFile()
    {
        string json = Encoding.UTF8.GetString(StatusReports.StatusJson(Status(), text => text));

        Approved.Verify(json, "status.json", "Monitoring");
    }

    [Fact]
    public void RunJson_SucceededAndFailedTasks_MatchesApprovedFile()
    {
        var result = new RunResult
        {
            RunId = "20261127T120000Z-abc123",
            StartedAt = Start,
            CompletedAt = Start.AddSeconds(95.5),
            MergeSummaryPath = "/repo/reports/merge_summary_20261127_120135.txt",
            Merges =
            [
                new MergeResult
                {
                    TaskId = "backend-api",
                    Branch = "agent/backend-api",
                    Status = MergeStatus.Merged,
                    MergedCommit = "0123456789abcdef0123456789abcdef01234567",
                    Files = ["src/server.js", "src/store.js"],
                    Message = "Merged 'agent/backend-api' into 'main' (merge_commit) at 0123456789ab.",
                    ReportPath = "/repo/reports/merge_backend-api_20261127_120130.json",
                    Duration = TimeSpan.FromSeconds(1.25),
                },
            ],
            Tasks =
            [
                new TaskResult
                {
                    TaskId = "backend-api",
                    State = TaskState.Succeeded,
                    StartedAt = Start,
                    CompletedAt = Start.AddSeconds(90),
                    Duration = TimeSpan.FromSeconds(90),
                    Summary = "REST API with three routes",
                    Attempts =
                    [
                        new AttemptResult
                        {
                            Attempt = 1, Status = AttemptStatus.Failed, StartedAt = Start, Duration = TimeSpan.FromSeconds(30),
                            Error = "HttpRequestException: 503", IsTransient = true,
                        },
                        new AttemptResult
                        {
                            Attempt = 2, Status = AttemptStatus.Succeeded, StartedAt = Start.AddSeconds(31), Duration = TimeSpan.FromSeconds(59),
                            Usage = new AgentUsage(1200, 300, 0.0105m, ToolCalls: 7, Turns: 8),
                        },
                    ],
                },
                new TaskResult { TaskId = "test-suite", State = TaskState.Skipped, Error = "dependency 'backend-api' failed" },
            ],
        };

        string json = Encoding.UTF8.GetString(StatusReports.RunJson(result, Status(), text => text));

        Approved.Verify(json, "run.json", "Monitoring");
    }

    private static RunStatus Status() => new()
    {
        RunId = "20261127T120000Z-abc123",
        Timestamp = Start.AddSeconds(30),
        IsRunning = true,
        StartedAt = Start,
        Elapsed = TimeSpan.FromSeconds(30),
        Agents =
        [
            new AgentStatus
            {
                Name = "backend-api", TaskId = "backend-api", State = TaskState.Running, Attempt = 2,
                FilesChanged = ["src/server.js", "src/store.js"], LastActivity = Start.AddSeconds(25), LastAction = "tool write_file",
                IsActive = true, ToolCalls = 7, InputTokens = 1200, OutputTokens = 300, Cost = 0.0105m, StartedAt = Start,
                Elapsed = TimeSpan.FromSeconds(30),
            },
            new AgentStatus { Name = "test-suite", TaskId = "test-suite", State = TaskState.Pending },
        ],
        Summary = new RunStatusSummary
        {
            TotalAgents = 2, ActiveAgents = 1, RunningAgents = 1, TotalFiles = 2, ToolCalls = 7, InputTokens = 1200, OutputTokens = 300, Cost = 0.0105m,
        },
    };
}
