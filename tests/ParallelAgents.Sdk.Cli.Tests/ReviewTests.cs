using System.Text.Json;
using ParallelAgents.Sdk.Cli.Tests.TestSupport;

namespace ParallelAgents.Sdk.Cli.Tests;

/// <summary><c>run --review</c>: each branch's diff shown, and the answers read from standard input.</summary>
public sealed class ReviewTests
{
    private const string Chain =
        """
        tasks:
          - id: first
            instructions: echo hello > first.txt
          - id: second
            dependencies: [first]
            instructions: echo unwanted > second.txt
        """;

    [Fact]
    public async Task RunReview_ApproveThenReject_MergesOnlyTheApprovedBranchAndExitsOne()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(Chain);

        ToolResult result = await Tool.RunWithInputAsync(repo.Root, "y\nn\nnot what we asked for\n", "run", tasks, "--agent", "command", "--review", "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        // Each branch was shown with its files and diff before the question.
        Assert.Contains("=== Review: task first, branch agent/first", result.Error);
        Assert.Contains("+hello", result.Error);
        Assert.Matches(@"added\s+second\.txt \+1 -0", result.Error);
        Assert.Contains("Merge agent/second into main? [y]es, [n]o (reject), [r]e-run with feedback:", result.Error);
        using JsonDocument json = JsonDocument.Parse(result.Output);
        JsonElement second = json.RootElement.GetProperty("tasks")[1];
        Assert.Equal("rejected", second.GetProperty("state").GetString());
        Assert.Contains("not what we asked for", second.GetProperty("error").GetString());
        Assert.Equal("hello\n", repo.Git("show", "main:first.txt"));
        Assert.DoesNotContain("second.txt", repo.Git("ls-tree", "-r", "--name-only", "main"));
        // The rejected work stays on its branch.
        Assert.Equal("unwanted\n", repo.Git("show", "agent/second:second.txt"));
    }

    [Fact]
    public async Task RunReview_RerunWithFeedback_TheAgentWorksAgainAndTheSecondRoundIsMerged()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(
            """
            tasks:
              - id: counted
                instructions: echo "attempt $PARALLELAGENTS_ATTEMPT" > attempt.txt
            """);

        ToolResult result = await Tool.RunWithInputAsync(repo.Root, "r\nwrite it again\ny\n", "run", tasks, "--agent", "command", "--review");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("round 2", result.Output);
        Assert.Contains("write it again", result.Output);
        Assert.Equal("attempt 2\n", repo.Git("show", "main:attempt.txt"));
    }

    [Fact]
    public async Task RunReview_InputEndsBeforeAnAnswer_RejectsSoNothingUnreviewedIsMerged()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(Chain);

        ToolResult result = await Tool.RunWithInputAsync(repo.Root, "", "run", tasks, "--agent", "command", "--review");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Matches(@"first\s+Rejected", result.Output);
        Assert.Equal("README.md\nconfig/tasks.yaml\n", repo.Git("ls-tree", "-r", "--name-only", "main"));
    }

    [Fact]
    public async Task RunReview_WithLive_ExitsTwo()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(Chain);

        ToolResult result = await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command", "--review", "--live");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--live", result.Error);
    }
}
