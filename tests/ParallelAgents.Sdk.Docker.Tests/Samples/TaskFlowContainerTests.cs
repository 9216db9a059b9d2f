using System.Diagnostics;
using System.Text.RegularExpressions;
using ParallelAgents.Sdk.Docker.Tests.TestSupport;
using ParallelAgents.Sdk.Tests.TestSupport;
using TaskFlow;

namespace ParallelAgents.Sdk.Docker.Tests.Samples;

/// <summary>The TaskFlow sample's offline replay with <c>--isolation container</c> against the real Docker engine: the
/// four agents' commands and checks run in containers of the sample's own image (BusyBox and this machine's node, made
/// offline), and the result on main is the same as on the host.</summary>
public sealed partial class TaskFlowContainerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_OfflineWithContainerIsolation_FourAgentsWorkInContainersAndMainPassesItsTests()
    {
        await DockerTestEngine.RequireAsync();
        if (await TaskFlowImage.EnsureAsync(TaskFlowImage.DefaultTag, DockerTestEngine.Endpoint, TextWriter.Null, Ct) is { } problem)
        {
            DockerTestEngine.SkipOrFail(problem);
        }

        using var folder = new TempFolder();
        string repo = folder.Combine("taskflow");
        var output = new StringWriter();

        int exit = await TaskFlowApp.RunAsync(["--offline", "--isolation", "container", "--repo", repo], TextWriter.Synchronized(output), Ct);

        string log = output.ToString();
        Assert.True(exit == 0, log);
        Assert.Contains("Isolation: container.", log, StringComparison.Ordinal);
        Assert.Contains("4 merges: 3 merged, 1 resolved", log, StringComparison.Ordinal);

        // The test agent's first `node --test` failed inside its container: Node names the file by its container path.
        string transcript = string.Concat(Directory.GetFiles(Path.Combine(repo, "reports", "agents", "test-suite"), "*.jsonl").Select(File.ReadAllText));
        Assert.Contains("file:///workspace/test/tasks.test.js", transcript, StringComparison.Ordinal);

        // What the containers made is on main, and Node's test runner passes on it here on the host.
        Assert.Equal("", GitRepository.GitIn(repo, "status", "--porcelain"));
        (int nodeExit, string nodeOutput) = RunNode(repo, "--test");
        Assert.True(nodeExit == 0, nodeOutput);
        Assert.Contains("# fail 0", nodeOutput, StringComparison.Ordinal);

        // Nothing is left: no container of the run, no worktree but main's, a sound repository.
        string runId = RunIdPattern().Match(log).Groups[1].Value;
        Assert.NotEqual("", runId);
        Assert.Empty(DockerTestEngine.ContainersLabelled("parallelagents.run-id=" + runId));
        string worktrees = GitRepository.GitIn(repo, "worktree", "list", "--porcelain");
        Assert.Single(worktrees.Split('\n'), l => l.StartsWith("worktree ", StringComparison.Ordinal));
        (int fsckExit, string fsck) = GitRepository.Run(repo, ["fsck", "--strict", "--no-progress"]);
        Assert.True(fsckExit == 0 && !fsck.Contains("error", StringComparison.OrdinalIgnoreCase), fsck);
    }

    [Fact]
    public async Task RunAsync_ImageTheEngineLacks_RefusesNamingItBeforeAnyRepository()
    {
        await DockerTestEngine.RequireAsync();
        using var folder = new TempFolder();
        string image = "parallelagents-test/no-such-taskflow:" + Guid.NewGuid().ToString("N")[..8];
        var output = new StringWriter();

        int exit = await TaskFlowApp.RunAsync(["--offline", "--isolation", "container", "--image", image, "--repo", folder.Combine("taskflow")], output, Ct);

        Assert.Equal(2, exit);
        Assert.Contains($"The image '{image}' is not on the Docker engine", output.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder.Combine("taskflow")));
    }

    [GeneratedRegex(@"^Run (\S+): ", RegexOptions.Multiline)]
    private static partial Regex RunIdPattern();

    private static (int ExitCode, string Output) RunNode(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}
