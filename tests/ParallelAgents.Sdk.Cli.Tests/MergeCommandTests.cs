using System.Text.Json;
using ParallelAgents.Sdk.Cli.Tests.TestSupport;

namespace ParallelAgents.Sdk.Cli.Tests;

/// <summary><c>merge [run]</c>: after a run ended, the branches that did not reach main are merged (or shown and asked
/// about with <c>--review</c>), with git as the oracle.</summary>
public sealed class MergeCommandTests
{
    private const string Chain =
        """
        tasks:
          - id: first
            instructions: echo hello > first.txt
          - id: second
            dependencies: [first]
            instructions: echo later > second.txt
        """;

    /// <summary>Runs <see cref="Chain"/> with <c>--review</c>, approving <c>first</c> and rejecting <c>second</c>.</summary>
    private static async Task RunRejectingSecondAsync(GitRepository repo)
    {
        string tasks = repo.Tasks(Chain);
        ToolResult run = await Tool.RunWithInputAsync(repo.Root, "y\nn\nnot now\n", "run", tasks, "--agent", "command", "--review");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.DoesNotContain("second.txt", repo.Git("ls-tree", "-r", "--name-only", "main"));
    }

    [Fact]
    public async Task Merge_BranchRejectedInReview_MergesItAndStatusShowsTheMerge()
    {
        using var repo = new GitRepository();
        await RunRejectingSecondAsync(repo);

        ToolResult result = await Tool.RunAsync(repo.Root, "merge");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"second\s+merged\s+agent/second", result.Output);
        Assert.Equal("later\n", repo.Git("show", "main:second.txt"));
        Assert.Equal("hello\n", repo.Git("show", "main:first.txt"));
        Assert.Contains("(task second)", repo.Git("log", "-1", "--format=%s", "main"));
        repo.Git("fsck", "--strict");
        // The journal has the merge: status shows it, and a second merge finds nothing left.
        ToolResult status = await Tool.RunAsync(repo.Root, "status", "--json");
        using JsonDocument json = JsonDocument.Parse(status.Output);
        Assert.Equal("merged", json.RootElement.GetProperty("tasks")[1].GetProperty("merge").GetString());
        ToolResult again = await Tool.RunAsync(repo.Root, "merge");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("nothing to do", again.Output);
    }

    [Fact]
    public async Task MergeReview_NoAnswerThenYes_ShowsTheDiffKeepsMainThenMerges()
    {
        using var repo = new GitRepository();
        await RunRejectingSecondAsync(repo);
        string before = repo.Git("rev-parse", "main");

        ToolResult declined = await Tool.RunWithInputAsync(repo.Root, "", "merge", "--review");

        Assert.True(declined.ExitCode == 1, declined.ToString());
        Assert.Contains("=== Review: task second, branch agent/second", declined.Output);
        Assert.Contains("+later", declined.Output);
        Assert.Contains("Merge agent/second into main? [y]es, [n]o (reject): ", declined.Output);
        Assert.Matches(@"second\s+declined", declined.Output);
        Assert.Equal(before, repo.Git("rev-parse", "main"));

        ToolResult approved = await Tool.RunWithInputAsync(repo.Root, "y\n", "merge", "--review", "--json");

        Assert.True(approved.ExitCode == 0, approved.ToString());
        using JsonDocument json = JsonDocument.Parse(approved.Output);
        JsonElement merge = Assert.Single(json.RootElement.GetProperty("merges").EnumerateArray());
        Assert.Equal("second", merge.GetProperty("taskId").GetString());
        Assert.Equal("merged", merge.GetProperty("status").GetString());
        Assert.Equal(repo.Git("rev-parse", "main").Trim(), merge.GetProperty("mergedCommit").GetString());
        Assert.Equal("later\n", repo.Git("show", "main:second.txt"));
        repo.Git("fsck", "--strict");
    }

    [Fact]
    public async Task Merge_BranchConflictsWithMain_ReportsTheFileAndLeavesMainAsItWas()
    {
        using var repo = new GitRepository();
        await RunRejectingSecondAsync(repo);
        repo.Write("second.txt", "written on main meanwhile\n");
        repo.Git("add", "-A");
        repo.Git("commit", "-q", "-m", "main's own second.txt");
        string before = repo.Git("rev-parse", "main");

        ToolResult result = await Tool.RunAsync(repo.Root, "merge", "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        using JsonDocument json = JsonDocument.Parse(result.Output);
        JsonElement merge = Assert.Single(json.RootElement.GetProperty("merges").EnumerateArray());
        Assert.Equal("conflict", merge.GetProperty("status").GetString());
        Assert.Equal("second.txt", Assert.Single(merge.GetProperty("conflicts").EnumerateArray()).GetProperty("path").GetString());
        Assert.Equal(before, repo.Git("rev-parse", "main"));
        Assert.Equal("written on main meanwhile\n", repo.Git("show", "main:second.txt"));
        Assert.Equal("later\n", repo.Git("show", "agent/second:second.txt"));
        repo.Git("fsck", "--strict");
    }

    [Fact]
    public async Task Merge_VerifyFailedInTheRun_UsesThePlansVerifyAndMergesOnceItPasses()
    {
        using var repo = new GitRepository();
        string allow = Path.Combine(repo.Parent, "allow");
        string tasks = repo.Tasks(
            $"""
            verify:
              - test ! -f bad.txt || test -f '{allow}'
            tasks:
              - id: good
                instructions: echo ok > good.txt
              - id: bad
                dependencies: [good]
                instructions: echo x > bad.txt
            """);
        ToolResult run = await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command");
        Assert.True(run.ExitCode == 1, run.ToString());

        Assert.Contains("'parallel-agents merge ", run.Output);

        ToolResult stillFails = await Tool.RunAsync(repo.Root, "merge");
        Assert.True(stillFails.ExitCode == 1, stillFails.ToString());
        Assert.Matches(@"bad\s+verifyFailed", stillFails.Output);
        Assert.DoesNotContain("bad.txt", repo.Git("ls-tree", "-r", "--name-only", "main"));

        File.WriteAllText(allow, "");
        ToolResult result = await Tool.RunAsync(repo.Root, "merge");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("x\n", repo.Git("show", "main:bad.txt"));
        repo.Git("fsck", "--strict");
    }

    [Fact]
    public async Task Merge_ATaskWasSkippedForTheRejectedBranch_MergesTheBranchAndNamesTheTaskLeftToRun()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(Chain + "\n  - id: third\n    dependencies: [second]\n    instructions: echo 3 > third.txt\n");
        ToolResult run = await Tool.RunWithInputAsync(repo.Root, "y\nn\nnot now\n", "run", tasks, "--agent", "command", "--review");
        Assert.True(run.ExitCode == 1, run.ToString());

        ToolResult result = await Tool.RunAsync(repo.Root, "merge", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument json = JsonDocument.Parse(result.Output);
        Assert.Equal("second", Assert.Single(json.RootElement.GetProperty("merges").EnumerateArray()).GetProperty("taskId").GetString());
        Assert.Equal("third", Assert.Single(json.RootElement.GetProperty("notRun").EnumerateArray()).GetString());
        Assert.Equal("later\n", repo.Git("show", "main:second.txt"));
        Assert.DoesNotContain("third.txt", repo.Git("ls-tree", "-r", "--name-only", "main"));
    }

    [Fact]
    public async Task Merge_EveryTaskReachedMain_ExitsZeroWithNothingToDo()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks("tasks:\n  - id: one\n    instructions: echo 1 > one.txt\n");
        Assert.Equal(0, (await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command")).ExitCode);
        string before = repo.Git("rev-parse", "main");

        ToolResult result = await Tool.RunAsync(repo.Root, "merge");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("nothing to do", result.Output);
        Assert.Equal(before, repo.Git("rev-parse", "main"));
    }

    [Fact]
    public async Task Merge_MainBranchDoesNotExist_ExitsTwoAndMergesNothing()
    {
        using var repo = new GitRepository();
        await RunRejectingSecondAsync(repo);
        string before = repo.Git("rev-parse", "main");

        ToolResult result = await Tool.RunAsync(repo.Root, "merge", "--main", "trunk");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'trunk' does not exist", result.Error);
        Assert.Equal(before, repo.Git("rev-parse", "main"));
    }

    [Fact]
    public async Task Merge_UnknownRun_ExitsTwo()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks("tasks:\n  - id: one\n    instructions: echo 1 > one.txt\n");
        await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command");

        ToolResult result = await Tool.RunAsync(repo.Root, "merge", "20200101T000000Z-nothing", "--json");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("No run '20200101T000000Z-nothing'", result.Error);
        using JsonDocument json = JsonDocument.Parse(result.Output);
        Assert.Equal(2, json.RootElement.GetProperty("exitCode").GetInt32());
    }
}
