using System.Text.Json;
using ParallelAgents.Sdk.Cli.Tests.TestSupport;

namespace ParallelAgents.Sdk.Cli.Tests;

/// <summary><c>status</c> and <c>resume</c> on a run whose process was killed in the middle.</summary>
public sealed class ResumeCommandTests
{
    /// <summary>Two tasks; the second kills the tool (its shell's parent's parent) the first time it runs, as a crash
    /// would, after the first task was merged.</summary>
    private static string CrashingPlan(GitRepository repo) => repo.Tasks(
        $"""
        tasks:
          - id: one
            instructions: echo 1 > one.txt
          - id: two
            dependencies: [one]
            instructions: |
              if [ -f '{Path.Combine(repo.Parent, "crashed")}' ]; then echo 2 > two.txt; else touch '{Path.Combine(repo.Parent, "crashed")}'; kill -9 $(awk '{"{print $4}"}' /proc/$PPID/stat); fi
        """);

    private static string RunId(GitRepository repo) =>
        Assert.Single(Directory.GetDirectories(Path.Combine(repo.Root, ".git", "parallel-agents", "runs"))).Split(Path.DirectorySeparatorChar)[^1];

    [Fact]
    public async Task Resume_RunKilledMidway_FinishesItWithoutRedoingTheMergedTask()
    {
        using var repo = new GitRepository();
        string tasks = CrashingPlan(repo);
        ToolResult crashed = await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command");
        Assert.True(crashed.ExitCode == 137, crashed.ToString());

        ToolResult result = await Tool.RunAsync(repo.Root, "resume", "--agent", "command", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument json = JsonDocument.Parse(result.Output);
        Assert.Equal(RunId(repo), json.RootElement.GetProperty("runId").GetString());
        Assert.True(json.RootElement.GetProperty("succeeded").GetBoolean());
        Assert.Equal("2\n", repo.Git("show", "main:two.txt"));
        // The first task's merge happened once, before the crash.
        string[] merges = repo.Git("log", "--merges", "--format=%s", "main").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(merges, m => m.Contains("(task one)", StringComparison.Ordinal));
        Assert.Contains("1 of 2 task(s) ended before", result.Error);
        repo.Git("fsck", "--strict");
    }

    [Fact]
    public async Task Status_KilledThenResumed_SaysNotEndedThenEndedWithEachTask()
    {
        using var repo = new GitRepository();
        string tasks = CrashingPlan(repo);
        await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command");
        string runId = RunId(repo);

        ToolResult before = await Tool.RunAsync(repo.Root, "status");

        Assert.True(before.ExitCode == 0, before.ToString());
        Assert.Contains($"Run {runId}: not ended (1 of 2 task(s) done)", before.Output);
        Assert.Contains($"'parallel-agents resume {runId}'", before.Output);
        Assert.Matches(@"one\s+Succeeded\s+1 merged", before.Output);
        Assert.Matches(@"two\s+not ended\s+1 -", before.Output);

        Assert.Equal(0, (await Tool.RunAsync(repo.Root, "resume", runId, "--agent", "command")).ExitCode);
        ToolResult after = await Tool.RunAsync(repo.Root, "status", runId, "--json");

        Assert.True(after.ExitCode == 0, after.ToString());
        using JsonDocument json = JsonDocument.Parse(after.Output);
        Assert.True(json.RootElement.GetProperty("ended").GetBoolean());
        Assert.False(json.RootElement.GetProperty("resumable").GetBoolean());
        JsonElement two = json.RootElement.GetProperty("tasks")[1];
        Assert.Equal("succeeded", two.GetProperty("state").GetString());
        Assert.Equal(2, two.GetProperty("attemptsStarted").GetInt32());
        // The run's report (reports/run_<id>.json) gives the files each task changed.
        Assert.Equal("two.txt", Assert.Single(two.GetProperty("files").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Resume_NothingLeftUnfinished_ExitsTwoAndSaysSo()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks("tasks:\n  - id: one\n    instructions: echo 1 > one.txt\n");
        Assert.Equal(0, (await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command")).ExitCode);

        ToolResult result = await Tool.RunAsync(repo.Root, "resume", "--agent", "command");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("No run of", result.Error);
    }

    [Fact]
    public async Task Status_UnknownRun_ExitsTwoAndListsTheKnownRuns()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks("tasks:\n  - id: one\n    instructions: echo 1 > one.txt\n");
        await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command");

        ToolResult result = await Tool.RunAsync(repo.Root, "status", "20200101T000000Z-nothing");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(RunId(repo), result.Error);
    }
}
