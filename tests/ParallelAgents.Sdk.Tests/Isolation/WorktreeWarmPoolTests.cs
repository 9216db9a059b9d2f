using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Isolation;

public sealed class WorktreeWarmPoolTests : IDisposable
{
    private const string RunId = "20261130T090000Z-pool01";
    private readonly GitRepository _repo = new(("README.md", "# shop\n"), ("src/app.js", "v1\n"), ("src/old.js", "old\n"));

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task WarmUpAsync_PoolOfTwo_MakesTwoLockedWorktreesDetachedAtMain()
    {
        await using WorktreeIsolationProvider provider = NewProvider(poolSize: 2);

        int ready = await provider.WarmUpAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, ready);
        IReadOnlyList<GitRepository.ListedWorktree> pooled = [.. _repo.Worktrees().Skip(1)];
        Assert.Equal(2, pooled.Count);
        Assert.All(pooled, w =>
        {
            Assert.True(w.Detached);
            Assert.Equal(_repo.Head("main"), w.Head);
            Assert.StartsWith(Path.Combine(provider.WorktreesDirectory, ".pool"), w.Path, StringComparison.Ordinal);
            Assert.StartsWith("parallel-agents run=warm-pool ", w.LockReason, StringComparison.Ordinal);
            Assert.Equal("", GitRepository.GitIn(w.Path, "status", "--porcelain"));
        });
    }

    [Fact]
    public async Task CreateWorkspaceAsync_WithAWarmPool_HandsOutAPooledWorktreeAndRefills()
    {
        await using WorktreeIsolationProvider provider = NewProvider(poolSize: 2);
        await provider.WarmUpAsync(TestContext.Current.CancellationToken);
        string[] pooledRecords = [.. _repo.Worktrees().Skip(1).Select(w => RecordOf(w.Path))];

        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);

        Assert.Contains(RecordOf(workspace.RootPath), pooledRecords);
        Assert.Equal(Path.Combine(provider.WorktreesDirectory, "backend-api"), workspace.RootPath);
        Assert.Equal("agent/backend-api", GitRepository.GitIn(workspace.RootPath, "rev-parse", "--abbrev-ref", "HEAD").Trim());
        Assert.StartsWith($"parallel-agents run={RunId} ", _repo.Worktrees().Single(w => w.Path == workspace.RootPath).LockReason, StringComparison.Ordinal);
        Assert.Equal("", GitRepository.GitIn(workspace.RootPath, "status", "--porcelain"));
        Assert.Equal(2, await provider.WarmUpAsync(TestContext.Current.CancellationToken));
        Assert.Equal(4, _repo.Worktrees().Count);
        _repo.AssertFsckClean();
    }

    [Fact]
    public async Task CreateWorkspaceAsync_MainMovedAfterThePoolWasFilled_ChecksOutTheNewMain()
    {
        await using WorktreeIsolationProvider provider = NewProvider(poolSize: 1);
        await provider.WarmUpAsync(TestContext.Current.CancellationToken);
        _repo.Write("src/app.js", "v2\n");
        _repo.Write("src/new.js", "new\n");
        File.Delete(Path.Combine(_repo.Path, "src/old.js"));
        string moved = _repo.Commit("main moved");

        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);

        Assert.Equal(moved, workspace.BaseCommit);
        Assert.Equal(moved, GitRepository.GitIn(workspace.RootPath, "rev-parse", "HEAD").Trim());
        Assert.Equal("v2\n", await workspace.Files.ReadAllTextAsync("src/app.js", TestContext.Current.CancellationToken));
        Assert.True(workspace.Files.FileExists("src/new.js"));
        Assert.False(workspace.Files.FileExists("src/old.js"));
        Assert.Equal("", GitRepository.GitIn(workspace.RootPath, "status", "--porcelain"));
    }

    [Fact]
    public async Task CreateWorkspaceAsync_SixAtOnceWithAPoolOfTwo_AllCleanAndDistinct()
    {
        await using WorktreeIsolationProvider provider = NewProvider(poolSize: 2);
        await provider.WarmUpAsync(TestContext.Current.CancellationToken);

        IAgentWorkspace[] workspaces = await Task.WhenAll(Enumerable.Range(1, 6).Select(i =>
            Task.Run(async () => await provider.CreateWorkspaceAsync(Request($"task-{i}"), TestContext.Current.CancellationToken))));

        Assert.Equal(6, workspaces.Select(w => w.RootPath).Distinct().Count());
        foreach (IAgentWorkspace workspace in workspaces)
        {
            Assert.Equal(workspace.Branch, GitRepository.GitIn(workspace.RootPath, "rev-parse", "--abbrev-ref", "HEAD").Trim());
            Assert.Equal("", GitRepository.GitIn(workspace.RootPath, "status", "--porcelain"));
            await workspace.DisposeAsync();
        }

        Assert.Equal(2, await provider.WarmUpAsync(TestContext.Current.CancellationToken));
        Assert.Equal(3, _repo.Worktrees().Count);
        _repo.AssertFsckClean();
    }

    [Fact]
    public async Task DisposeAsync_Provider_RemovesThePoolAndLeavesHandedOutWorkspacesUsable()
    {
        var provider = NewProvider(poolSize: 2);
        await provider.WarmUpAsync(TestContext.Current.CancellationToken);
        IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend-api"), TestContext.Current.CancellationToken);

        await provider.DisposeAsync();

        Assert.Equal([_repo.Path, workspace.RootPath], _repo.Worktrees().Select(w => w.Path));
        await workspace.Files.WriteAllTextAsync("api.js", "export {};\n", TestContext.Current.CancellationToken);
        Assert.NotNull(await workspace.CommitAsync("Add the API", TestContext.Current.CancellationToken));
        await workspace.DisposeAsync();
        Assert.Single(_repo.Worktrees());
        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
            await provider.CreateWorkspaceAsync(Request("late"), TestContext.Current.CancellationToken));
        _repo.AssertFsckClean();
    }

    private WorktreeIsolationProvider NewProvider(int poolSize) =>
        new(new WorktreeIsolationOptions { RepositoryPath = _repo.Path, WarmPoolSize = poolSize });

    private static string RecordOf(string worktreePath) =>
        Path.GetFileName(File.ReadAllText(Path.Combine(worktreePath, ".git")).Trim());

    private static WorkspaceRequest Request(string taskId) =>
        new() { RunId = RunId, Task = new AgentTask { Id = taskId, Instructions = "do " + taskId } };
}
