using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>A workspace in a git worktree made by <see cref="WorktreeIsolationProvider"/>.</summary>
/// <remarks>Commits are one at a time (a gate per workspace); commands may run at any time, also during a commit.</remarks>
internal sealed class WorktreeWorkspace : IAgentWorkspace
{
    private readonly WorktreeIsolationProvider _provider;
    private readonly string _recordName;
    private readonly IReadOnlyList<string> _copiedFiles;
    private readonly string _authorName;
    private readonly string _authorEmail;
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private int _disposed;

    public WorktreeWorkspace(
        WorktreeIsolationProvider provider,
        string taskId,
        WorktreePlacement placement,
        IReadOnlyList<string> copiedFiles,
        string authorName,
        string authorEmail)
    {
        _provider = provider;
        _recordName = placement.Name;
        _copiedFiles = copiedFiles;
        _authorName = authorName;
        _authorEmail = authorEmail;
        TaskId = taskId;
        RootPath = placement.Path;
        Branch = placement.Branch;
        BaseCommit = placement.BaseCommit;
        StartCommit = placement.StartCommit;
        Files = new WorkspaceFiles(placement.Path);
    }

    public string TaskId { get; }

    public string RootPath { get; }

    public string? Branch { get; }

    public string? BaseCommit { get; }

    /// <summary>The commit the worktree was checked out at: the base, or the branch's tip when a retry continues on it.</summary>
    public string StartCommit { get; }

    /// <summary>The untracked files copied in from the user's working tree (never committed).</summary>
    public IReadOnlyList<string> CopiedFiles => _copiedFiles;

    public WorkspaceFiles Files { get; }

    public async ValueTask<CommandResult> ExecuteAsync(CommandRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return await ProcessRunner.RunAsync(request, RootPath, _provider.Environment, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<WorkspaceCommit?> CommitAsync(string message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(message);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _commitGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Commit(message), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _commitGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _provider.RemoveWorktreeAsync(_recordName, RootPath).ConfigureAwait(false);
        WorktreeLog.Removed(_provider.Logger, RootPath, Branch!);
    }

    private WorkspaceCommit? Commit(string message)
    {
        using var repo = new Repository(RootPath);
        // Stage("*") adds new and changed files and removes deleted ones, leaving out what .gitignore ignores; a rename
        // is a deletion plus an addition.
        Commands.Stage(repo, "*");
        Tree? headTree = repo.Head.Tip?.Tree;
        bool unstaged = false;
        foreach (string copied in _copiedFiles)
        {
            if (headTree?[copied] is null && repo.Index[copied] is not null)
            {
                repo.Index.Remove(copied);
                unstaged = true;
            }
        }

        if (unstaged)
        {
            repo.Index.Write();
        }

        TreeChanges changes = repo.Diff.Compare<TreeChanges>(headTree, DiffTargets.Index);
        if (changes.Count == 0)
        {
            return null;
        }

        var changed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (TreeEntryChanges change in changes)
        {
            changed.Add(change.Path);
            changed.Add(change.OldPath);
        }

        var signature = new Signature(_authorName, _authorEmail, _provider.Time.GetLocalNow());
        Commit commit = repo.Commit(message, signature, signature, new CommitOptions());
        return new WorkspaceCommit { CommitId = commit.Sha, Branch = Branch!, ChangedFiles = [.. changed] };
    }
}
