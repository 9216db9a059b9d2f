using ParallelAgents.Sdk.Cli.Tests.TestSupport;

namespace ParallelAgents.Sdk.Cli.Tests;

public sealed class CleanCommandTests
{
    [Fact]
    public async Task Clean_WorktreeOfAKilledRun_RemovesItAndKeepsItsBranch()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(
            """
            tasks:
              - id: crash
                instructions: crash the tool
            """);
        // The agent's command kills the tool itself (the shell's parent), as a crash would: the worktree stays behind.
        ToolResult crashed = await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command", "--command", "kill -9 $PPID");
        Assert.True(crashed.ExitCode == 137, crashed.ToString());
        string left = repo.Git("worktree", "list", "--porcelain");
        Assert.Contains("branch refs/heads/agent/crash", left);

        ToolResult result = await Tool.RunAsync(repo.Root, "clean");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Worktrees of " + repo.Root + ": 1 removed.", result.Output);
        Assert.DoesNotContain("agent/crash", repo.Git("worktree", "list", "--porcelain"));
        Assert.Contains("agent/crash", repo.Git("branch", "--list", "agent/*"));
        Assert.Matches("Containers (at .*: \\d+ removed|: not swept, Docker did not answer)", result.Output);
    }

    [Fact]
    public async Task Clean_NoDocker_SweepsWorktreesAndSaysContainersWereNotSwept()
    {
        using var repo = new GitRepository();
        string socket = Path.Combine(repo.Parent, "no-docker.sock");

        ToolResult result = await Tool.RunAsync(repo.Root, new Dictionary<string, string> { ["DOCKER_HOST"] = "unix://" + socket }, "clean", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        Assert.Empty(json.RootElement.GetProperty("worktrees").EnumerateArray());
        Assert.False(json.RootElement.GetProperty("docker").GetProperty("answered").GetBoolean());
    }

    [Fact]
    public async Task Clean_NotARepository_ExitsTwo()
    {
        DirectoryInfo folder = Directory.CreateTempSubdirectory("pa-cli-norepo-");
        try
        {
            ToolResult result = await Tool.RunAsync(folder.FullName, "clean");

            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("not inside a git repository", result.Error);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
