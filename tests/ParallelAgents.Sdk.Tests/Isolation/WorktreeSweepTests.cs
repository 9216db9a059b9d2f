using System.Diagnostics;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Isolation;

public sealed class WorktreeSweepTests : IDisposable
{
    private const string RunId = "20261130T090000Z-sweep1";
    private readonly GitRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task SweepAsync_WorktreeOfAnEndedProcess_RemovesItAndKeepsItsBranch()
    {
        await using WorktreeIsolationProvider provider = NewProvider();
        IAgentWorkspace dead = await provider.CreateWorkspaceAsync(Request("dead-task"), TestContext.Current.CancellationToken);
        await dead.Files.WriteAllTextAsync("work.txt", "work\n", TestContext.Current.CancellationToken);
        WorkspaceCommit? work = await dead.CommitAsync("Work", TestContext.Current.CancellationToken);
        await using IAgentWorkspace live = await provider.CreateWorkspaceAsync(Request("live-task"), TestContext.Current.CancellationToken);
        int endedPid = EndedProcessId();
        HandLockTo(dead.RootPath, $"parallel-agents run=old-run pid={endedPid} start=1:2 host={Environment.MachineName}");

        IReadOnlyList<SweptWorktree> swept = await provider.SweepAsync(TestContext.Current.CancellationToken);

        SweptWorktree removed = Assert.Single(swept);
        Assert.Equal(dead.RootPath, removed.Path);
        Assert.Equal("old-run", removed.RunId);
        Assert.Equal("agent/dead-task", removed.Branch);
        Assert.True(removed.FolderExisted);
        Assert.Contains($"process {endedPid}", removed.Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dead.RootPath));
        Assert.Equal([_repo.Path, live.RootPath], _repo.Worktrees().Select(w => w.Path));
        Assert.Equal(work!.CommitId, _repo.Head("agent/dead-task"));
        await dead.DisposeAsync();
        Assert.Equal([_repo.Path, live.RootPath], _repo.Worktrees().Select(w => w.Path));
        _repo.AssertFsckClean();
    }

    [Fact]
    public async Task SweepAsync_EndedProcessWhoseFolderWasDeletedByHand_RemovesTheRecord()
    {
        await using WorktreeIsolationProvider provider = NewProvider();
        IAgentWorkspace dead = await provider.CreateWorkspaceAsync(Request("dead-task"), TestContext.Current.CancellationToken);
        HandLockTo(dead.RootPath, $"parallel-agents run=old-run pid={EndedProcessId()} start=1:2 host={Environment.MachineName}");
        Directory.Delete(dead.RootPath, recursive: true);

        SweptWorktree removed = Assert.Single(await provider.SweepAsync(TestContext.Current.CancellationToken));

        Assert.False(removed.FolderExisted);
        Assert.Contains("already deleted", removed.Reason, StringComparison.Ordinal);
        Assert.Single(_repo.Worktrees());
        Assert.True(_repo.BranchExists("agent/dead-task"));
    }

    [Fact]
    public async Task SweepAsync_ProcessIdReusedByAnotherProcess_CountsTheRunAsEnded()
    {
        await using WorktreeIsolationProvider provider = NewProvider();
        IAgentWorkspace dead = await provider.CreateWorkspaceAsync(Request("dead-task"), TestContext.Current.CancellationToken);
        // Our own process id, but another start time: the process that made the worktree is not this one.
        HandLockTo(dead.RootPath, $"parallel-agents run=old-run pid={Environment.ProcessId} start=0:0 host={Environment.MachineName}");

        Assert.Single(await provider.SweepAsync(TestContext.Current.CancellationToken));

        Assert.Single(_repo.Worktrees());
    }

    [Fact]
    public async Task SweepAsync_LiveRunsOtherHostsAndTheUsersOwnWorktrees_AreLeftAlone()
    {
        string mine = Path.Combine(_repo.Parent, "mine");
        string mineLocked = Path.Combine(_repo.Parent, "mine-locked");
        string gone = Path.Combine(_repo.Parent, "gone");
        _repo.Git("worktree", "add", "-q", "-b", "user/mine", mine);
        _repo.Git("worktree", "add", "-q", "-b", "user/locked", mineLocked);
        _repo.Git("worktree", "lock", "--reason", "on a USB stick", mineLocked);
        _repo.Git("worktree", "add", "-q", "-b", "user/gone", gone);
        Directory.Delete(gone, recursive: true);
        await using WorktreeIsolationProvider provider = NewProvider();
        await using IAgentWorkspace live = await provider.CreateWorkspaceAsync(Request("live-task"), TestContext.Current.CancellationToken);
        IAgentWorkspace elsewhere = await provider.CreateWorkspaceAsync(Request("other-host"), TestContext.Current.CancellationToken);
        HandLockTo(elsewhere.RootPath, $"parallel-agents run=old-run pid={EndedProcessId()} start=1:2 host=another-machine");

        IReadOnlyList<SweptWorktree> swept = await provider.SweepAsync(TestContext.Current.CancellationToken);

        // Only git's own record of the worktree whose folder is gone is pruned (by 'git worktree prune').
        SweptWorktree pruned = Assert.Single(swept);
        Assert.Equal(gone, pruned.Path);
        Assert.Null(pruned.RunId);
        Assert.False(pruned.FolderExisted);
        Assert.Equal(
            new[] { _repo.Path, mine, mineLocked, live.RootPath, elsewhere.RootPath }.Order(StringComparer.Ordinal),
            _repo.Worktrees().Select(w => w.Path).Order(StringComparer.Ordinal));
        Assert.Equal("on a USB stick", _repo.Worktrees().Single(w => w.Path == mineLocked).LockReason);
        Assert.True(_repo.BranchExists("user/gone"));
        await elsewhere.DisposeAsync();
    }

    [Fact]
    public async Task SweepAsync_AfterAProcessHoldingWorktreesWasKilledWithSigkill_LeavesOnlyTheMainWorktree()
    {
        string child = ChildPath();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { child, _repo.Path, "killed-run", "3", "2" })
        {
            start.ArgumentList.Add(arg);
        }

        using (Process process = Process.Start(start)!)
        {
            try
            {
                Task<string> errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
                string? line;
                while ((line = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken)) is not null
                    && !line.StartsWith("ready", StringComparison.Ordinal))
                {
                }

                if (line is null)
                {
                    Assert.Fail("the child process ended before it was ready: " + await errors);
                }

                IReadOnlyList<GitRepository.ListedWorktree> held = _repo.Worktrees();
                Assert.Equal(6, held.Count);
                Assert.All(held.Skip(1), w => Assert.Contains($"pid={process.Id} ", w.LockReason, StringComparison.Ordinal));
            }
            finally
            {
                process.Kill();   // SIGKILL on Unix: the process gets no chance to clean up.
                await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            }
        }

        await using WorktreeIsolationProvider provider = NewProvider();
        IReadOnlyList<SweptWorktree> swept = await provider.SweepAsync(TestContext.Current.CancellationToken);

        Assert.Equal(5, swept.Count);
        Assert.Equal(3, swept.Count(s => s.RunId == "killed-run"));
        Assert.Equal([_repo.Path], _repo.Worktrees().Select(w => w.Path));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(provider.WorktreesDirectory, "*", SearchOption.AllDirectories), File.Exists);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal($"work of killed-{i}\n", _repo.Git("show", $"agent/killed-{i}:work.txt"));
        }

        _repo.AssertFsckClean();
        Assert.Empty(await provider.SweepAsync(TestContext.Current.CancellationToken));
    }

    private WorktreeIsolationProvider NewProvider() => new(new WorktreeIsolationOptions { RepositoryPath = _repo.Path });

    private static WorkspaceRequest Request(string taskId) =>
        new() { RunId = RunId, Task = new AgentTask { Id = taskId, Instructions = "do " + taskId } };

    /// <summary>Rewrites a worktree's lock as if another process had made it.</summary>
    private static void HandLockTo(string worktreePath, string reason)
    {
        string gitdir = File.ReadAllText(Path.Combine(worktreePath, ".git")).Trim()["gitdir: ".Length..];
        File.WriteAllText(Path.Combine(gitdir, "locked"), reason + "\n");
    }

    /// <summary>The id of a process that has run and ended (and been reaped).</summary>
    private static int EndedProcessId()
    {
        using Process process = Process.Start(new ProcessStartInfo("true"))!;
        process.WaitForExit();
        return process.Id;
    }

    /// <summary>The child program in its own output folder: the test project's folder lacks assemblies that the ASP.NET
    /// Core shared framework gives the tests but not a plain console program.</summary>
    private static string ChildPath()
    {
        // AppContext.BaseDirectory is tests/ParallelAgents.Sdk.Tests/bin/<configuration>/<framework>/.
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        DirectoryInfo configuration = framework.Parent!;
        DirectoryInfo tests = configuration.Parent!.Parent!.Parent!;
        string path = Path.Combine(tests.FullName, "ParallelAgents.Sdk.Tests.WorktreeChild", "bin", configuration.Name, framework.Name,
            "ParallelAgents.Sdk.Tests.WorktreeChild.dll");
        Assert.True(File.Exists(path), $"the child program is not built at {path}");
        return path;
    }
}
