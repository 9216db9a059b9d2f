using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Isolation;

public sealed class WorktreeIsolationProviderTests : IDisposable
{
    private const string RunId = "20261130T090000Z-abc123";
    private readonly GitRepository _repo = new(("README.md", "# shop\n"), ("src/app.js", "console.log('v1');\n"), (".gitignore", "*.log\n"));

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task CreateWorkspaceAsync_NewTask_MakesLockedWorktreeOnTaskBranchAtMain()
    {
        await using WorktreeIsolationProvider provider = NewProvider();

        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);

        Assert.Equal("agent/backend-api", workspace.Branch);
        Assert.Equal(_repo.Head("main"), workspace.BaseCommit);
        Assert.Equal(Path.Combine(_repo.Path + ".worktrees", "backend-api"), workspace.RootPath);
        Assert.Equal("console.log('v1');\n", await workspace.Files.ReadAllTextAsync("src/app.js", TestContext.Current.CancellationToken));
        GitRepository.ListedWorktree listed = Assert.Single(_repo.Worktrees(), w => w.Path == workspace.RootPath);
        Assert.Equal("agent/backend-api", listed.Branch);
        Assert.Equal(_repo.Head("main"), listed.Head);
        Assert.StartsWith($"parallel-agents run={RunId} pid={Environment.ProcessId} ", listed.LockReason, StringComparison.Ordinal);
        Assert.Equal("", GitRepository.GitIn(workspace.RootPath, "status", "--porcelain"));
        _repo.AssertFsckClean();

        // libgit2 reads the same record: the merge engine and other LibGit2Sharp users see the worktree and its lock.
        using var libgit2 = new LibGit2Sharp.Repository(_repo.Path);
        LibGit2Sharp.Worktree seen = Assert.Single(libgit2.Worktrees);
        Assert.True(seen.IsLocked);
        Assert.StartsWith($"parallel-agents run={RunId} ", seen.LockReason, StringComparison.Ordinal);
        using LibGit2Sharp.Repository inside = seen.WorktreeRepository;
        Assert.Equal("agent/backend-api", inside.Head.FriendlyName);
    }

    [Fact]
    public async Task CreateWorkspaceAsync_CancelledBeforehand_MakesNothing()
    {
        await using WorktreeIsolationProvider provider = NewProvider();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await provider.CreateWorkspaceAsync(Request("backend-api"), new CancellationToken(canceled: true)));

        Assert.Single(_repo.Worktrees());
        Assert.False(_repo.BranchExists("agent/backend-api"));
    }

    [Fact]
    public async Task CommitAsync_AddsChangesDeletionsAndRenames_CommitsThemAsTheAgentOnItsBranch()
    {
        _repo.Write("docs/old-name.md", "moved\n");
        _repo.Write("obsolete.txt", "bye\n");
        _repo.Commit("more files");
        await using WorktreeIsolationProvider provider = NewProvider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);
        CancellationToken ct = TestContext.Current.CancellationToken;

        await workspace.Files.WriteAllTextAsync("src/api.js", "export {};\n", ct);
        await workspace.Files.WriteAllTextAsync("src/app.js", "console.log('v2');\n", ct);
        await workspace.Files.DeleteAsync("obsolete.txt", ct);
        File.Move(Path.Combine(workspace.RootPath, "docs/old-name.md"), Path.Combine(workspace.RootPath, "docs/new-name.md"));
        await workspace.Files.WriteAllTextAsync("debug.log", "ignored\n", ct);
        WorkspaceCommit? commit = await workspace.CommitAsync("Add the API", ct);

        Assert.NotNull(commit);
        Assert.Equal("agent/backend-api", commit.Branch);
        Assert.Equal(["docs/new-name.md", "docs/old-name.md", "obsolete.txt", "src/api.js", "src/app.js"], commit.ChangedFiles);
        Assert.Equal(commit.CommitId, _repo.Head("agent/backend-api"));
        Assert.Equal(workspace.BaseCommit, _repo.Head("agent/backend-api~1"));
        Assert.Equal("ParallelAgents (backend-api) <backend-api@agents.parallelagents.invalid>",
            _repo.Git("log", "-1", "--format=%an <%ae>", "agent/backend-api").Trim());
        Assert.Equal("ParallelAgents (backend-api)", _repo.Git("log", "-1", "--format=%cn", "agent/backend-api").Trim());
        Assert.Equal("Add the API", _repo.Git("log", "-1", "--format=%s", "agent/backend-api").Trim());
        string committed = _repo.Git("ls-tree", "-r", "--name-only", "agent/backend-api");
        Assert.DoesNotContain("debug.log", committed, StringComparison.Ordinal);
        Assert.DoesNotContain("obsolete.txt", committed, StringComparison.Ordinal);
        Assert.Equal("?? debug.log\n", GitRepository.GitIn(workspace.RootPath, "status", "--porcelain", "--ignored").Replace("!! ", "?? ", StringComparison.Ordinal));
        Assert.Null(await workspace.CommitAsync("Nothing new", ct));
        _repo.AssertFsckClean();
    }

    [Fact]
    public async Task DisposeAsync_AfterCommit_RemovesWorktreeAndKeepsBranchWithTheCommit()
    {
        await using WorktreeIsolationProvider provider = NewProvider();
        IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);
        await workspace.Files.WriteAllTextAsync("src/api.js", "export {};\n", TestContext.Current.CancellationToken);
        WorkspaceCommit? commit = await workspace.CommitAsync("Add the API", TestContext.Current.CancellationToken);
        Assert.Equal(2, _repo.Worktrees().Count);

        await workspace.DisposeAsync();
        await workspace.DisposeAsync();

        Assert.False(Directory.Exists(workspace.RootPath));
        Assert.Equal([_repo.Path], _repo.Worktrees().Select(w => w.Path));
        Assert.Equal(commit!.CommitId, _repo.Head("agent/backend-api"));
        Assert.False(Directory.Exists(Path.Combine(_repo.Path, ".git", "worktrees", "backend-api")));
        _repo.AssertFsckClean();
    }

    [Fact]
    public async Task DisposeAsync_FolderDeletedByHand_RemovesTheRecordWithoutThrowing()
    {
        await using WorktreeIsolationProvider provider = NewProvider();
        IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);
        Directory.Delete(workspace.RootPath, recursive: true);

        await workspace.DisposeAsync();

        Assert.Equal([_repo.Path], _repo.Worktrees().Select(w => w.Path));
        Assert.True(_repo.BranchExists("agent/backend-api"));
    }

    [Fact]
    public async Task CreateWorkspaceAsync_BaseRevision_StartsFromThatCommit()
    {
        string first = _repo.Head("main");
        _repo.Write("later.txt", "later\n");
        _repo.Commit("later");
        await using WorktreeIsolationProvider provider = NewProvider();

        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(
            Request("backend-api", baseRevision: first), TestContext.Current.CancellationToken);

        Assert.Equal(first, workspace.BaseCommit);
        Assert.Equal(first, _repo.Head("agent/backend-api"));
        Assert.False(workspace.Files.FileExists("later.txt"));
        Assert.Equal("", GitRepository.GitIn(workspace.RootPath, "status", "--porcelain"));
    }

    [Fact]
    public async Task CreateWorkspaceAsync_NoBaseRevision_TasksWithoutDependenciesStartFromMainAtTheRunsStart()
    {
        await using WorktreeIsolationProvider provider = NewProvider();
        string atStart = _repo.Head("main");
        await using IAgentWorkspace first = await provider.CreateWorkspaceAsync(Request("first"), TestContext.Current.CancellationToken);
        _repo.Write("merged.txt", "a dependency's merged work\n");
        string merged = _repo.Commit("merge agent/first");

        await using IAgentWorkspace independent = await provider.CreateWorkspaceAsync(Request("independent"), TestContext.Current.CancellationToken);
        await using IAgentWorkspace dependent = await provider.CreateWorkspaceAsync(
            new WorkspaceRequest { RunId = RunId, Task = new AgentTask { Id = "dependent", Instructions = "x", Dependencies = ["first"] } },
            TestContext.Current.CancellationToken);
        await using IAgentWorkspace nextRun = await provider.CreateWorkspaceAsync(Request("independent-2", runId: "next-run"), TestContext.Current.CancellationToken);

        Assert.Equal(atStart, first.BaseCommit);
        Assert.Equal(atStart, independent.BaseCommit);
        Assert.False(independent.Files.FileExists("merged.txt"));
        Assert.Equal(merged, dependent.BaseCommit);
        Assert.True(dependent.Files.FileExists("merged.txt"));
        Assert.Equal(merged, nextRun.BaseCommit);
    }

    [Fact]
    public async Task CreateWorkspaceAsync_UnknownBaseRevision_ThrowsAndLeavesNoWorktree()
    {
        await using WorktreeIsolationProvider provider = NewProvider();

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await provider.CreateWorkspaceAsync(Request("backend-api", baseRevision: "no-such-branch"), TestContext.Current.CancellationToken));

        Assert.Contains("'no-such-branch'", e.Message, StringComparison.Ordinal);
        Assert.Single(_repo.Worktrees());
    }

    [Fact]
    public async Task CreateWorkspaceAsync_EightAtOnceFromSeveralThreads_MakesEightDistinctWorktrees()
    {
        await using WorktreeIsolationProvider provider = NewProvider();
        string[] ids = [.. Enumerable.Range(1, 8).Select(i => $"task-{i}")];

        IAgentWorkspace[] workspaces = await Task.WhenAll(ids.Select(id =>
            Task.Run(async () => await provider.CreateWorkspaceAsync(Request(id), TestContext.Current.CancellationToken))));

        Assert.Equal(8, workspaces.Select(w => w.RootPath).Distinct().Count());
        IReadOnlyList<GitRepository.ListedWorktree> listed = _repo.Worktrees();
        Assert.Equal(9, listed.Count);
        Assert.Equal(ids.Select(id => "agent/" + id).Order(), listed.Skip(1).Select(w => w.Branch!).Order());
        foreach (IAgentWorkspace workspace in workspaces)
        {
            Assert.Equal("", GitRepository.GitIn(workspace.RootPath, "status", "--porcelain"));
        }

        await Task.WhenAll(workspaces.Select(w => Task.Run(async () => await w.DisposeAsync())));
        Assert.Single(_repo.Worktrees());
        Assert.All(ids, id => Assert.True(_repo.BranchExists("agent/" + id)));
        _repo.AssertFsckClean();
    }

    [Fact]
    public async Task CreateWorkspaceAsync_TaskWithThreeAgents_GivesEachLaneItsOwnBranch()
    {
        await using WorktreeIsolationProvider provider = NewProvider();
        var task = new AgentTask { Id = "frontend", Instructions = "build it", AgentCount = 3 };

        IAgentWorkspace[] lanes = await Task.WhenAll(Enumerable.Range(0, 3).Select(lane =>
            provider.CreateWorkspaceAsync(new WorkspaceRequest { RunId = RunId, Task = task, Lane = lane }, TestContext.Current.CancellationToken).AsTask()));

        Assert.Equal(["agent/frontend+1", "agent/frontend+2", "agent/frontend+3"], lanes.Select(l => l.Branch!).Order());
        Assert.Equal(["agent/frontend+1", "agent/frontend+2", "agent/frontend+3"], _repo.Worktrees().Skip(1).Select(w => w.Branch!).Order());
        foreach (IAgentWorkspace lane in lanes)
        {
            await lane.DisposeAsync();
        }
    }

    [Fact]
    public async Task CreateWorkspaceAsync_BranchFromEarlierRunWithItsOwnCommits_KeepsThemUnderABackupName()
    {
        _repo.Git("branch", "agent/backend-api");
        _repo.Git("checkout", "-q", "agent/backend-api");
        _repo.Write("earlier.txt", "earlier work\n");
        string earlier = _repo.Commit("earlier run's work");
        _repo.Git("checkout", "-q", "main");
        var logs = new ListLoggerFactory();
        await using WorktreeIsolationProvider provider = NewProvider(loggerFactory: logs);

        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);

        Assert.Equal(_repo.Head("main"), _repo.Head("agent/backend-api"));
        Assert.False(workspace.Files.FileExists("earlier.txt"));
        string backup = $"agent/backend-api-before-{RunId}";
        Assert.Equal(earlier, _repo.Head(backup));
        Assert.Contains(logs.Entries, e => e.Message.Contains(backup, StringComparison.Ordinal));
        _repo.AssertFsckClean();
    }

    [Fact]
    public async Task CreateWorkspaceAsync_BranchFromEarlierRunAlreadyInMain_MovesItWithoutBackup()
    {
        string old = _repo.Head("main");
        _repo.Git("branch", "agent/backend-api");
        _repo.Write("merged.txt", "merged\n");
        _repo.Commit("merged work");
        await using WorktreeIsolationProvider provider = NewProvider();

        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);

        Assert.NotEqual(old, _repo.Head("main"));
        Assert.Equal(_repo.Head("main"), _repo.Head("agent/backend-api"));
        Assert.DoesNotContain("before", _repo.Git("branch", "--list"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateWorkspaceAsync_RetryInTheSameRun_ContinuesFromTheBranch()
    {
        await using WorktreeIsolationProvider provider = NewProvider();
        string baseCommit;
        await using (IAgentWorkspace first = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken))
        {
            baseCommit = first.BaseCommit!;
            await first.Files.WriteAllTextAsync("progress.md", "half done\n", TestContext.Current.CancellationToken);
            await first.CommitAsync("First attempt", TestContext.Current.CancellationToken);
        }

        _repo.Write("other.txt", "main moved\n");
        _repo.Commit("main moved on");
        await using IAgentWorkspace second = await provider.CreateWorkspaceAsync(Request("backend-api", attempt: 2), TestContext.Current.CancellationToken);

        Assert.Equal("half done\n", await second.Files.ReadAllTextAsync("progress.md", TestContext.Current.CancellationToken));
        Assert.Equal(baseCommit, second.BaseCommit);
        Assert.Equal("", GitRepository.GitIn(second.RootPath, "status", "--porcelain"));
    }

    [Fact]
    public async Task CreateWorkspaceAsync_NewRunAfterAnEarlierRunInTheSameProcess_KeepsTheEarlierWork()
    {
        await using WorktreeIsolationProvider provider = NewProvider();
        await using (IAgentWorkspace first = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken))
        {
            await first.Files.WriteAllTextAsync("progress.md", "run one\n", TestContext.Current.CancellationToken);
            await first.CommitAsync("Run one", TestContext.Current.CancellationToken);
        }

        string runOne = _repo.Head("agent/backend-api");
        await using IAgentWorkspace second = await provider.CreateWorkspaceAsync(Request("backend-api", runId: "run-two"), TestContext.Current.CancellationToken);

        Assert.False(second.Files.FileExists("progress.md"));
        Assert.Equal(runOne, _repo.Head("agent/backend-api-before-run-two"));
    }

    [Fact]
    public async Task CreateWorkspaceAsync_BranchCheckedOutInAnotherWorktree_ThrowsAndLeavesNothing()
    {
        _repo.Git("worktree", "add", "-q", "-b", "agent/backend-api", Path.Combine(_repo.Parent, "mine"));
        await using WorktreeIsolationProvider provider = NewProvider();

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken));

        Assert.Contains(Path.Combine(_repo.Parent, "mine"), e.Message, StringComparison.Ordinal);
        Assert.Equal(2, _repo.Worktrees().Count);
        _repo.AssertFsckClean();
    }

    [Fact]
    public async Task CreateWorkspaceAsync_CopyUntrackedFiles_CopiesThemAndNeverCommitsThem()
    {
        _repo.Write(".env", "API_URL=http://localhost\n");
        _repo.Write("config/dev.local.json", "{}\n");
        _repo.Write("config/prod.json", "{\"tracked\":true}\n");
        _repo.Write("services/api/.env", "PORT=1\n");
        _repo.Git("add", "config/prod.json");
        _repo.Git("commit", "-q", "-m", "tracked config");
        _repo.Write("config/prod.json", "{\"tracked\":\"user's unsaved edit\"}\n");
        await using WorktreeIsolationProvider provider = NewProvider(o =>
        {
            o.CopyUntrackedFiles.Add(".env");
            o.CopyUntrackedFiles.Add("config/*.json");
            o.CopyUntrackedFiles.Add("**/.env");
            o.CopyUntrackedFiles.Add("missing.txt");
        });
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);
        CancellationToken ct = TestContext.Current.CancellationToken;

        Assert.Equal("API_URL=http://localhost\n", await workspace.Files.ReadAllTextAsync(".env", ct));
        Assert.Equal("{}\n", await workspace.Files.ReadAllTextAsync("config/dev.local.json", ct));
        Assert.Equal("PORT=1\n", await workspace.Files.ReadAllTextAsync("services/api/.env", ct));
        Assert.Equal("{\"tracked\":true}\n", await workspace.Files.ReadAllTextAsync("config/prod.json", ct));
        await workspace.Files.WriteAllTextAsync(".env", "API_URL=changed by the agent\n", ct);
        await workspace.Files.WriteAllTextAsync("src/api.js", "export {};\n", ct);
        WorkspaceCommit? commit = await workspace.CommitAsync("Add the API", ct);
        Assert.Equal(["src/api.js"], commit!.ChangedFiles);
        Assert.DoesNotContain(".env", _repo.Git("ls-tree", "-r", "--name-only", "agent/backend-api"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_DependencyCacheDirectory_CommandsSeeTheSharedCacheVariables()
    {
        string cache = Path.Combine(_repo.Parent, "cache");
        await using WorktreeIsolationProvider provider = NewProvider(o =>
        {
            o.DependencyCacheDirectory = cache;
            o.CommandEnvironment.Variables["GOCACHE"] = "/chosen/by/the/user";
        });
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);

        CommandResult result = await workspace.ExecuteAsync(
            new CommandRequest { Command = "env", Environment = new Dictionary<string, string?> { ["PIP_CACHE_DIR"] = "/own/pip" } },
            TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.Output);
        string[] lines = result.Output.Split('\n');
        Assert.Contains($"npm_config_cache={cache}/npm", lines);
        Assert.Contains($"npm_config_store_dir={cache}/pnpm-store", lines);
        Assert.Contains($"YARN_CACHE_FOLDER={cache}/yarn", lines);
        Assert.Contains($"NUGET_PACKAGES={cache}/nuget/packages", lines);
        Assert.Contains($"GOMODCACHE={cache}/go/mod", lines);
        Assert.Contains("GOCACHE=/chosen/by/the/user", lines);
        Assert.Contains("PIP_CACHE_DIR=/own/pip", lines);
        Assert.Equal(cache, provider.DependencyCacheDirectory);
    }

    [Fact]
    public async Task ExecuteAsync_Command_RunsInTheWorktree()
    {
        await using WorktreeIsolationProvider provider = NewProvider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);

        CommandResult result = await workspace.ExecuteAsync(new CommandRequest { Command = "git rev-parse --abbrev-ref HEAD && pwd" }, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.Output);
        Assert.Equal($"agent/backend-api\n{workspace.RootPath}\n", result.Output);
    }

    [Fact]
    public async Task Constructor_WorktreesInsideTheRepository_IgnoresThemThroughInfoExclude()
    {
        await using WorktreeIsolationProvider provider = NewProvider(o => o.WorktreesDirectory = ".agents/worktrees");
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);
        await using WorktreeIsolationProvider again = NewProvider(o => o.WorktreesDirectory = ".agents/worktrees");

        Assert.Equal(Path.Combine(_repo.Path, ".agents", "worktrees", "backend-api"), workspace.RootPath);
        Assert.Equal("", _repo.Git("status", "--porcelain"));
        Assert.Single(File.ReadAllLines(Path.Combine(_repo.Path, ".git", "info", "exclude")), l => l == "/.agents/worktrees/");
    }

    [Fact]
    public void Constructor_InvalidOptions_ListsEveryProblem()
    {
        var options = new WorktreeIsolationOptions
        {
            RepositoryPath = "",
            BaseBranch = "bad..name",
            BranchPrefix = "bad prefix/",
            AuthorName = "",
            AuthorEmail = "a <b>",
            WarmPoolSize = 65,
            CopyUntrackedFiles = { "../outside", "" },
        };

        ParallelAgentsConfigurationException e = Assert.Throws<ParallelAgentsConfigurationException>(() => new WorktreeIsolationProvider(options));

        Assert.Equal(8, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.StartsWith("RepositoryPath is required", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("'bad..name'", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("'bad prefix/'", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("AuthorName", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("AuthorEmail", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("WarmPoolSize", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("CopyUntrackedFiles[0] ('../outside')", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("CopyUntrackedFiles[1]", StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_FolderThatIsNoRepository_SaysSo()
    {
        using var folder = new TempFolder();

        ParallelAgentsConfigurationException e = Assert.Throws<ParallelAgentsConfigurationException>(() =>
            new WorktreeIsolationProvider(new WorktreeIsolationOptions { RepositoryPath = folder.Path }));

        Assert.Contains("is not inside a git repository", Assert.Single(e.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateWorkspaceAsync_InvalidBranchInRequest_ThrowsArgumentException()
    {
        await using WorktreeIsolationProvider provider = NewProvider();

        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await provider.CreateWorkspaceAsync(Request("backend-api", branch: "bad..branch"), TestContext.Current.CancellationToken));

        Assert.Single(_repo.Worktrees());
    }

    private WorktreeIsolationProvider NewProvider(Action<WorktreeIsolationOptions>? configure = null, ListLoggerFactory? loggerFactory = null)
    {
        var options = new WorktreeIsolationOptions { RepositoryPath = _repo.Path };
        configure?.Invoke(options);
        return new WorktreeIsolationProvider(options, loggerFactory);
    }

    private static WorkspaceRequest Request(string taskId, string runId = RunId, int attempt = 1, string? baseRevision = null, string? branch = null) =>
        new()
        {
            RunId = runId,
            Task = new AgentTask { Id = taskId, Instructions = "do " + taskId },
            Attempt = attempt,
            BaseRevision = baseRevision,
            Branch = branch,
        };
}
