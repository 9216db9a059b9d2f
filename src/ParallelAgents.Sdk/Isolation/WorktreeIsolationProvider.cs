using System.Globalization;
using LibGit2Sharp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk;

/// <summary>
/// The built-in isolation (<c>isolation: worktree</c>): each attempt works in its own git worktree, on its own branch,
/// beside the user's working tree.
/// </summary>
/// <remarks>
/// <para>Branches: a task <c>backend-api</c> works on <c>agent/backend-api</c> (<see cref="WorktreeIsolationOptions.BranchPrefix"/>);
/// a task with <c>agent_count</c> above 1 gives each agent its own branch, <c>agent/backend-api+1</c>,
/// <c>agent/backend-api+2</c>..., since <c>+</c> cannot appear in a task id and so never collides with another task's
/// branch. A request's <see cref="WorkspaceRequest.Branch"/> overrides the name.</para>
/// <para>A workspace starts at <see cref="WorkspaceRequest.BaseRevision"/>. When the request names none, a task with
/// dependencies starts at the tip of <see cref="WorktreeIsolationOptions.BaseBranch"/> as it stands then (after its
/// dependencies were merged), and a task without dependencies starts where the base branch stood when the provider
/// made the run's first workspace (main at the run's start). When the branch already exists: a later attempt of the
/// same run, through this provider, continues on it, so the agent sees its earlier work; a branch from an earlier run
/// whose commits the base already contains is moved to the base; any other is renamed
/// <c>&lt;branch&gt;-before-&lt;run-id&gt;</c> (logged as a warning) so that its commits stay reachable, and the task starts
/// afresh.</para>
/// <para>Every worktree is locked (<c>git worktree lock</c>) with a reason that names the run, the process and its start
/// time; <see cref="SweepAsync"/> removes those whose process has ended. Disposing a workspace removes its worktree
/// and keeps its branch.</para>
/// <para>Thread safety: every member may be called from several threads at once. The steps that change the
/// repository's shared records (branches, <c>.git/worktrees</c>) run one at a time behind an asynchronous gate, for a
/// few milliseconds each; the checkouts, which take the time, run in parallel, each through its own repository handle.</para>
/// </remarks>
public sealed class WorktreeIsolationProvider : IIsolationProvider, IAsyncDisposable
{
    private const string PoolFolderName = ".pool";
    private const string HeadsPrefix = "refs/heads/";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, BranchOrigin> _branches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _runBases = new(StringComparer.Ordinal);
    private readonly string _gitDirectory;
    private readonly WorktreeLayout _layout;
    private readonly string _baseBranch;
    private readonly string _branchPrefix;
    private readonly string _authorName;
    private readonly string _authorEmail;
    private readonly UntrackedFileCopier _copier;
    private readonly bool _worktreesInsideRepository;
    private readonly CommandEnvironmentOptions _environment;
    private readonly WarmPool? _pool;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private int _disposed;

    /// <summary>Makes the provider for the repository the options name.</summary>
    /// <param name="options">The repository, branches, folders and the rest; copied, so later changes do not reach the provider.</param>
    /// <param name="loggerFactory">Where the provider logs; the default logs nothing.</param>
    /// <param name="timeProvider">The clock commits are dated by; the default is the system clock.</param>
    /// <exception cref="ParallelAgentsConfigurationException">The options are invalid or name no usable repository; every
    /// problem is listed.</exception>
    public WorktreeIsolationProvider(WorktreeIsolationOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        options.Validate(problems);
        string? gitDirectory = null;
        string? workingDirectory = null;
        string? commonDirectory = null;
        if (!string.IsNullOrWhiteSpace(options.RepositoryPath))
        {
            (gitDirectory, workingDirectory, commonDirectory) = OpenRepository(options.RepositoryPath, problems);
        }

        string? worktreesDirectory = null;
        if (workingDirectory is not null && commonDirectory is not null && (options.WorktreesDirectory is null || !string.IsNullOrWhiteSpace(options.WorktreesDirectory)))
        {
            worktreesDirectory = Path.TrimEndingDirectorySeparator(options.WorktreesDirectory is null
                ? workingDirectory + ".worktrees"
                : Path.GetFullPath(options.WorktreesDirectory, workingDirectory));
            if (IsUnder(worktreesDirectory, commonDirectory) || string.Equals(worktreesDirectory, workingDirectory, StringComparison.Ordinal))
            {
                problems.Add($"WorktreesDirectory '{worktreesDirectory}' must not be the repository's own folder or inside its .git folder; leave it null for a folder beside the repository.");
            }
        }

        if (problems.Count > 0)
        {
            throw new ParallelAgentsConfigurationException(problems);
        }

        _gitDirectory = gitDirectory!;
        RepositoryRoot = workingDirectory!;
        WorktreesDirectory = worktreesDirectory!;
        string mainWorktree = File.Exists(Path.Combine(_gitDirectory, "commondir")) ? Path.GetDirectoryName(commonDirectory!)! : RepositoryRoot;
        _layout = new WorktreeLayout(commonDirectory!, mainWorktree);
        _baseBranch = options.BaseBranch;
        _branchPrefix = options.BranchPrefix;
        _authorName = options.AuthorName;
        _authorEmail = options.AuthorEmail;
        _copier = new UntrackedFileCopier([.. options.CopyUntrackedFiles]);
        _environment = options.CommandEnvironment.Clone();
        if (options.DependencyCacheDirectory is not null)
        {
            DependencyCacheDirectory = Path.GetFullPath(options.DependencyCacheDirectory, RepositoryRoot);
            foreach ((string name, string value) in DependencyCacheVariables.For(DependencyCacheDirectory))
            {
                // A variable the options set on purpose wins over the shared cache; a command's own request wins over both.
                if (!_environment.Variables.Keys.Any(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)))
                {
                    _environment.Variables[name] = value;
                }
            }
        }

        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ParallelAgents.Isolation.Worktree");
        _time = timeProvider ?? TimeProvider.System;
        _worktreesInsideRepository = IsUnder(WorktreesDirectory, RepositoryRoot);
        if (_worktreesInsideRepository)
        {
            ExcludeFromGit(Path.GetRelativePath(RepositoryRoot, WorktreesDirectory));
        }

        if (options.WarmPoolSize > 0)
        {
            _pool = new WarmPool(options.WarmPoolSize, MakePooledAsync, RemovePooledAsync, e => WorktreeLog.PoolFillFailed(_logger, e));
            _pool.Refill();
        }
    }

    /// <summary>The isolation name tasks use for this provider: <c>worktree</c>.</summary>
    public string Name => IsolationNames.Worktree;

    /// <summary>The full path of the repository's working tree.</summary>
    public string RepositoryRoot { get; }

    /// <summary>The full path of the folder the worktrees are made in.</summary>
    public string WorktreesDirectory { get; }

    /// <summary>The full path of the shared package-cache folder, or <see langword="null"/> when caches are not shared.</summary>
    public string? DependencyCacheDirectory { get; }

    /// <summary>Makes a worktree on the task's branch, checked out at the request's base (or where the run's earlier
    /// attempt left the branch), locked with the run's id, with the untracked files the options list copied in.</summary>
    /// <param name="request">The run, task, attempt and lane, and optionally the base revision and branch.</param>
    /// <param name="cancellationToken">Cancels the creation; whatever was made is removed (a branch made is kept).</param>
    /// <returns>The workspace; dispose it to remove the worktree (its branch is kept).</returns>
    /// <exception cref="ArgumentException">The request's run id is blank or holds spaces, or its branch is not a valid
    /// branch name.</exception>
    /// <exception cref="InvalidOperationException">The base revision names no commit, or the branch is checked out in
    /// another worktree.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    public async ValueTask<IAgentWorkspace> CreateWorkspaceAsync(WorkspaceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (string.IsNullOrWhiteSpace(request.RunId) || request.RunId.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"The run id '{request.RunId}' must be non-empty text without spaces: it is written into the worktree's lock.", nameof(request));
        }

        string branch = BranchFor(request);
        if (!GitNames.IsValidBranchName(branch))
        {
            throw new ArgumentException(
                $"The branch '{branch}' for task '{request.Task.Id}' is not a valid git branch name; choose another WorkspaceRequest.Branch or BranchPrefix.",
                nameof(request));
        }

        string lockReason = new WorktreeLock(request.RunId, ProcessIdentity.Current).Format();
        WorktreePlacement placement;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            placement = Place(request, branch, lockReason);
        }
        finally
        {
            _gate.Release();
        }

        if (placement.Pooled)
        {
            _pool!.Refill();
        }

        IReadOnlyList<string> copied;
        try
        {
            // The checkout is the slow part; it runs on the pool so that several workspaces are checked out at once.
            copied = await Task.Run(() => Populate(placement), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await RemoveWorktreeAsync(placement.Name, placement.Path).ConfigureAwait(false);
            throw;
        }

        WorktreeLog.Created(_logger, placement.Path, request.Task.Id, branch, placement.StartCommit, request.RunId, placement.Pooled);
        return new WorktreeWorkspace(
            this,
            request.Task.Id,
            placement,
            copied,
            _authorName.Replace(WorktreeIsolationOptions.TaskPlaceholder, request.Task.Id, StringComparison.Ordinal),
            _authorEmail.Replace(WorktreeIsolationOptions.TaskPlaceholder, request.Task.Id, StringComparison.Ordinal));
    }

    /// <summary>Fills the warm pool (<see cref="WorktreeIsolationOptions.WarmPoolSize"/>) and waits until it is full, so
    /// that the first agents of a run start without waiting for a checkout.</summary>
    /// <param name="cancellationToken">Stops the waiting; the worktrees being made are still made.</param>
    /// <returns>How many worktrees are ready; 0 when the pool is off.</returns>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    public Task<int> WarmUpAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _pool is null ? Task.FromResult(0) : _pool.WarmUpAsync(cancellationToken);
    }

    /// <summary>
    /// Removes the worktrees that runs no longer alive left behind (a process that was killed, or that ended without
    /// disposing its workspaces), including those whose folder was already deleted by hand, and prunes git's records of
    /// other worktrees whose folders are gone (<c>git worktree prune</c>). Branches are kept.
    /// </summary>
    /// <remarks>Worktrees of runs whose process is still running, on this or another machine, and worktrees the
    /// provider did not make are never removed.</remarks>
    /// <param name="cancellationToken">Stops the sweep between worktrees.</param>
    /// <returns>What was removed.</returns>
    public async Task<IReadOnlyList<SweptWorktree>> SweepAsync(CancellationToken cancellationToken = default)
    {
        var swept = new List<SweptWorktree>();
        var stale = new List<WorktreeEntry>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Run(() => SweepRecords(swept, stale, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        if (stale.Count > 0)
        {
            await PruneStaleAsync(stale, swept, cancellationToken).ConfigureAwait(false);
        }

        foreach (SweptWorktree worktree in swept)
        {
            WorktreeLog.Swept(_logger, worktree.Path, worktree.RunId ?? "unknown", worktree.Reason);
        }

        return swept;
    }

    /// <summary>Removes the warm pool's worktrees. Workspaces handed out stay usable and are removed when they are disposed.</summary>
    /// <returns>A task that completes when the pool's worktrees are removed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_pool is not null)
        {
            await _pool.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal CommandEnvironmentOptions Environment => _environment;

    internal TimeProvider Time => _time;

    internal ILogger Logger => _logger;

    internal int PoolReadyCount => _pool?.ReadyCount ?? 0;

    internal string BranchFor(WorkspaceRequest request) =>
        request.Branch ?? string.Create(CultureInfo.InvariantCulture,
            $"{_branchPrefix}{request.Task.Id}{(request.Task.AgentCount > 1 ? $"+{request.Lane + 1}" : "")}");

    /// <summary>Removes a worktree: its folder, then git's record of it. A folder already gone is not an error.</summary>
    internal async Task RemoveWorktreeAsync(string name, string path)
    {
        await Task.Run(() => WorktreeLayout.DeleteFolder(path)).ConfigureAwait(false);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _layout.RemoveEntry(name, path);
        }
        finally
        {
            _gate.Release();
        }
    }

    private WorktreePlacement Place(WorkspaceRequest request, string branch, string lockReason)
    {
        using var repo = new Repository(_gitDirectory);
        Commit baseCommit = ResolveBase(repo, request);
        string baseId = baseCommit.Sha;
        string start = baseId;
        string refName = HeadsPrefix + branch;
        string log = $"parallel-agents: run {request.RunId} starts task {request.Task.Id} at {baseId}";
        Reference? existing = repo.Refs[refName];
        if (existing is null)
        {
            repo.Refs.Add(refName, baseCommit.Id, log);
        }
        else
        {
            string? holder = _layout.WorktreesOnBranch(branch).FirstOrDefault();
            if (holder is not null)
            {
                throw new InvalidOperationException(
                    $"Branch '{branch}' is checked out in the worktree {holder}, so task '{request.Task.Id}' cannot have it in a new worktree. " +
                    $"If a run that has ended left that worktree, call WorktreeIsolationProvider.SweepAsync (or run 'git worktree remove --force {holder}'); if it is yours, switch it to another branch.");
            }

            Commit? tip = existing.ResolveToDirectReference()?.Target.Peel<Commit>();
            if (_branches.TryGetValue(branch, out BranchOrigin? origin) && origin.RunId == request.RunId && tip is not null)
            {
                start = tip.Sha;
                baseId = origin.BaseCommit;
                WorktreeLog.BranchContinued(_logger, request.Task.Id, request.Attempt, branch, start);
            }
            else if (tip is not null && BaseOfRunOnBranch(repo, refName, request.RunId) is { } resumedBase)
            {
                // The same run, resumed by another process (AgentEngine.ResumeAsync): its work on the branch goes on.
                start = tip.Sha;
                baseId = resumedBase;
                WorktreeLog.BranchContinued(_logger, request.Task.Id, request.Attempt, branch, start);
            }
            else if (tip is not null && (tip.Sha == baseId || repo.ObjectDatabase.FindMergeBase(tip, baseCommit)?.Sha == tip.Sha))
            {
                // Everything on the branch is already in the base: moving it loses no commit.
                repo.Refs.UpdateTarget(existing, baseCommit.Id, log);
            }
            else
            {
                string backup = BackupName(repo, branch, request.RunId);
                repo.Refs.Rename(existing, HeadsPrefix + backup, $"parallel-agents: kept aside by run {request.RunId}");
                repo.Refs.Add(refName, baseCommit.Id, log);
                WorktreeLog.BranchBackedUp(_logger, branch, baseId, backup, request.Task.Id);
            }
        }

        _branches[branch] = new BranchOrigin(request.RunId, baseId);
        string head = "ref: " + refName;
        string folder = FolderName(branch);
        PooledWorktree? pooled = _pool?.TryTake();
        if (pooled is not null)
        {
            string path = _layout.FreeFolder(WorktreesDirectory, folder);
            try
            {
                _layout.Relocate(pooled.Name, pooled.Path, path, head, lockReason);
            }
            catch
            {
                WorktreeLayout.DeleteFolder(pooled.Path);
                WorktreeLayout.DeleteFolder(path);
                _layout.RemoveEntry(pooled.Name, path);
                throw;
            }

            return new WorktreePlacement(pooled.Name, path, branch, baseId, start, pooled.CommitId != start, Pooled: true);
        }

        (string name, string worktreePath) = _layout.Create(WorktreesDirectory, folder, head, lockReason);
        return new WorktreePlacement(name, worktreePath, branch, baseId, start, NeedsCheckout: true, Pooled: false);
    }

    private IReadOnlyList<string> Populate(WorktreePlacement placement)
    {
        using var worktree = new Repository(placement.Path);
        Commit commit = worktree.Lookup<Commit>(placement.StartCommit);
        if (placement.NeedsCheckout)
        {
            // A hard reset to the commit HEAD's branch already points at writes the index and every file, and for a
            // warm-pool worktree checked out at an older commit, only the files that differ.
            worktree.Reset(ResetMode.Hard, commit);
        }

        return _copier.IsEmpty
            ? []
            : _copier.Copy(RepositoryRoot, placement.Path, path => commit[path] is not null, _worktreesInsideRepository ? WorktreesDirectory : null);
    }

    private Commit ResolveBase(Repository repo, WorkspaceRequest request)
    {
        // A task with no dependencies starts from the base branch as it stood when the run made its first workspace,
        // so that tasks that could have started together see the same code however long they waited for a slot.
        bool pinned = request.BaseRevision is null && request.Task.Dependencies.Count == 0;
        if (pinned && _runBases.TryGetValue(request.RunId, out string? runBase))
        {
            return repo.Lookup<Commit>(runBase);
        }

        string revision = request.BaseRevision ?? HeadsPrefix + _baseBranch;
        Commit? commit = null;
        try
        {
            commit = repo.Lookup(revision)?.Peel<Commit>();
        }
        catch (LibGit2SharpException)
        {
        }

        if (commit is not null && request.BaseRevision is null && !_runBases.ContainsKey(request.RunId))
        {
            _runBases[request.RunId] = commit.Sha;
        }

        return commit ?? throw new InvalidOperationException(request.BaseRevision is null
            ? $"The base branch '{_baseBranch}' does not exist in {RepositoryRoot}; create it (git branch {_baseBranch}) or set WorktreeIsolationOptions.BaseBranch to an existing branch."
            : $"The base revision '{revision}' of task '{request.Task.Id}' names no commit in {RepositoryRoot}; pass a commit id or branch name that exists.");
    }

    /// <summary>The base the branch was started from when the last run to start a task on it is
    /// <paramref name="runId"/>, read from the branch's reflog (this provider writes who started it and from where);
    /// otherwise <see langword="null"/>.</summary>
    internal static string? BaseOfRunOnBranch(Repository repo, string refName, string runId)
    {
        const string Prefix = "parallel-agents: run ";
        foreach (ReflogEntry entry in repo.Refs.Log(refName))
        {
            string? message = entry.Message;
            if (message is null || !message.StartsWith(Prefix, StringComparison.Ordinal) || !message.Contains(" starts task ", StringComparison.Ordinal))
            {
                continue;
            }

            // The newest start decides: a later run that took the branch over owns it now.
            int at = message.LastIndexOf(" at ", StringComparison.Ordinal);
            return message.AsSpan(Prefix.Length).StartsWith(runId + " ", StringComparison.Ordinal) && at > 0 ? message[(at + 4)..].Trim() : null;
        }

        return null;
    }

    private static string BackupName(Repository repo, string branch, string runId)
    {
        string name = $"{branch}-before-{runId}";
        for (int n = 2; repo.Refs[HeadsPrefix + name] is not null; n++)
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{branch}-before-{runId}.{n}");
        }

        return name;
    }

    private string FolderName(string branch)
    {
        string name = _branchPrefix.Length > 0 && branch.StartsWith(_branchPrefix, StringComparison.Ordinal) && branch.Length > _branchPrefix.Length
            ? branch[_branchPrefix.Length..]
            : branch;
        return name.Replace('/', '-').Replace('\\', '-').Replace(':', '-').TrimStart('.');
    }

    private async Task<PooledWorktree> MakePooledAsync(CancellationToken cancellationToken)
    {
        string lockReason = new WorktreeLock(WorktreeLock.PoolRunId, ProcessIdentity.Current).Format();
        string name;
        string path;
        string commitId;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var repo = new Repository(_gitDirectory);
            commitId = repo.Refs[HeadsPrefix + _baseBranch]?.ResolveToDirectReference()?.Target.Peel<Commit>()?.Sha
                ?? throw new InvalidOperationException($"The base branch '{_baseBranch}' does not exist in {RepositoryRoot}; the warm pool has nothing to check out.");
            (name, path) = _layout.Create(Path.Combine(WorktreesDirectory, PoolFolderName), "pool-" + Guid.NewGuid().ToString("N")[..8], commitId, lockReason);
        }
        finally
        {
            _gate.Release();
        }

        try
        {
            await Task.Run(
                () =>
                {
                    using var worktree = new Repository(path);
                    worktree.Reset(ResetMode.Hard, worktree.Lookup<Commit>(commitId));
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await RemoveWorktreeAsync(name, path).ConfigureAwait(false);
            throw;
        }

        return new PooledWorktree(name, path, commitId);
    }

    private async Task RemovePooledAsync(PooledWorktree worktree)
    {
        try
        {
            await RemoveWorktreeAsync(worktree.Name, worktree.Path).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            WorktreeLog.PoolFillFailed(_logger, e);
        }
    }

    private void SweepRecords(List<SweptWorktree> swept, List<WorktreeEntry> stale, CancellationToken cancellationToken)
    {
        foreach (WorktreeEntry entry in _layout.Entries())
        {
            cancellationToken.ThrowIfCancellationRequested();
            WorktreeLock? owner = WorktreeLock.TryParse(entry.LockReason);
            if (owner is null)
            {
                if (entry.LockReason is null && !entry.FolderExists)
                {
                    stale.Add(entry);
                }

                continue;
            }

            if (owner.Owner.IsAlive())
            {
                continue;
            }

            bool existed = entry.WorktreePath is not null
                && Directory.Exists(entry.WorktreePath)
                && string.Equals(WorktreeLayout.AdminPathOf(entry.WorktreePath), entry.AdminPath, StringComparison.Ordinal)
                && WorktreeLayout.DeleteFolder(entry.WorktreePath);
            WorktreeLayout.RemoveAdmin(entry);
            string who = string.Create(CultureInfo.InvariantCulture, $"process {owner.Owner.ProcessId} that made it has ended");
            swept.Add(new SweptWorktree
            {
                Path = entry.WorktreePath ?? entry.AdminPath,
                RunId = owner.RunId == WorktreeLock.PoolRunId ? null : owner.RunId,
                Branch = entry.Head is { } head && head.StartsWith("ref: " + HeadsPrefix, StringComparison.Ordinal) ? head[("ref: " + HeadsPrefix).Length..] : null,
                FolderExisted = existed,
                Reason = existed ? who : who + " and its folder was already deleted",
            });
        }

        SweepOrphanedPoolFolders(swept);
        SweepStaging();
    }

    /// <summary>A warm-pool worktree moved to a task's folder by a process killed before it rewrote the record keeps a
    /// <c>.git</c> file that points at a record the sweep has just removed; its folder is removed too.</summary>
    private void SweepOrphanedPoolFolders(List<SweptWorktree> swept)
    {
        if (!Directory.Exists(WorktreesDirectory))
        {
            return;
        }

        IEnumerable<string> folders = Directory.EnumerateDirectories(WorktreesDirectory);
        string poolFolder = Path.Combine(WorktreesDirectory, PoolFolderName);
        if (Directory.Exists(poolFolder))
        {
            folders = folders.Concat(Directory.EnumerateDirectories(poolFolder));
        }

        foreach (string folder in folders.ToList())
        {
            string? admin = WorktreeLayout.AdminPathOf(folder);
            if (admin is not null
                && string.Equals(Path.GetDirectoryName(admin), _layout.AdminRoot, StringComparison.Ordinal)
                && Path.GetFileName(admin).StartsWith("pool-", StringComparison.Ordinal)
                && !Directory.Exists(admin))
            {
                WorktreeLayout.DeleteFolder(folder);
                swept.Add(new SweptWorktree { Path = folder, FolderExisted = true, Reason = "a warm-pool worktree whose record was already removed" });
            }
        }
    }

    private void SweepStaging()
    {
        if (!Directory.Exists(_layout.StagingRoot))
        {
            return;
        }

        foreach (string staging in Directory.EnumerateDirectories(_layout.StagingRoot).ToList())
        {
            string? reason = File.Exists(Path.Combine(staging, "locked")) ? File.ReadAllText(Path.Combine(staging, "locked")) : null;
            if (WorktreeLock.TryParse(reason) is not { } owner || !owner.Owner.IsAlive())
            {
                WorktreeLayout.DeleteFolder(staging);
            }
        }
    }

    private async Task PruneStaleAsync(List<WorktreeEntry> stale, List<SweptWorktree> swept, CancellationToken cancellationToken)
    {
        // Records of unlocked worktrees whose folders are gone are git's own to prune; the git CLI does it as the user
        // would, and git never prunes a locked worktree.
        CommandResult result = await ProcessRunner.RunAsync(
            new CommandRequest { Command = "git worktree prune", Timeout = TimeSpan.FromMinutes(1) },
            RepositoryRoot,
            _environment,
            cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            WorktreeLog.PruneFailed(_logger, result.Output);
            return;
        }

        foreach (WorktreeEntry entry in stale)
        {
            if (!Directory.Exists(entry.AdminPath))
            {
                swept.Add(new SweptWorktree
                {
                    Path = entry.WorktreePath ?? entry.AdminPath,
                    FolderExisted = false,
                    Reason = "its folder was deleted; git worktree prune removed its record",
                });
            }
        }
    }

    private void ExcludeFromGit(string relativePath)
    {
        string line = "/" + relativePath.Replace('\\', '/').TrimEnd('/') + "/";
        string exclude = Path.Combine(_layout.CommonDirectory, "info", "exclude");
        if (File.Exists(exclude) && File.ReadLines(exclude).Any(l => string.Equals(l.Trim(), line, StringComparison.Ordinal)))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(exclude)!);
        string prefix = File.Exists(exclude) && new FileInfo(exclude).Length > 0 && !File.ReadAllText(exclude).EndsWith('\n') ? "\n" : "";
        File.AppendAllText(exclude, $"{prefix}# worktrees made by ParallelAgents\n{line}\n");
    }

    private static (string? GitDirectory, string? WorkingDirectory, string? CommonDirectory) OpenRepository(string repositoryPath, List<string> problems)
    {
        string full = Path.GetFullPath(repositoryPath);
        if (!Directory.Exists(full))
        {
            problems.Add($"RepositoryPath '{full}' does not exist; point it at the folder of a git repository.");
            return default;
        }

        string? gitDirectory = Repository.Discover(full);
        if (gitDirectory is null)
        {
            problems.Add($"RepositoryPath '{full}' is not inside a git repository; run 'git init' there or point it at a repository.");
            return default;
        }

        using var repo = new Repository(gitDirectory);
        if (repo.Info.IsBare || repo.Info.WorkingDirectory is null)
        {
            problems.Add($"RepositoryPath '{full}' is a bare repository; worktrees need a repository with a working tree.");
            return default;
        }

        gitDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(repo.Info.Path));
        string commondir = Path.Combine(gitDirectory, "commondir");
        string commonDirectory = File.Exists(commondir)
            ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(File.ReadAllText(commondir).Trim(), gitDirectory))
            : gitDirectory;
        return (gitDirectory, Path.TrimEndingDirectorySeparator(Path.GetFullPath(repo.Info.WorkingDirectory)), commonDirectory);
    }

    private static bool IsUnder(string path, string folder)
    {
        string relative = Path.GetRelativePath(folder, path);
        return relative != "." && !relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }
}
