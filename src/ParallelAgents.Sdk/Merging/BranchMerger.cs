using System.Globalization;
using LibGit2Sharp;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>
/// Merges tasks' branches into the main branch, one at a time, without touching any working tree but the user's own
/// (and that only when it is clean). Each merge is computed in memory; a clean one is written as a commit (see
/// <see cref="MergeOptions.Strategy"/>), checked by the verify commands in an integration worktree, and the main branch
/// advances by a compare-and-swap on its ref, so that a branch moved by someone else meanwhile makes the merge be
/// computed again, never lost. A conflict goes to the request's resolvers in order; when none resolves it, the main
/// branch and the task's branch are left as they were and the report lists every conflicted file with its lines.
/// </summary>
/// <remarks>
/// One merger serves one repository and, typically, one run: the engine makes it when a run starts and disposes it
/// at the end, which removes the integration worktree. Calls may come from many threads; merges wait their turn.
/// </remarks>
public sealed class BranchMerger : IAsyncDisposable
{
    private const string TaskTrailer = "ParallelAgents-Task: ";

    private readonly MergeOptions _options;
    private readonly ILogger _logger;
    private readonly Repository _repository;
    private readonly string _commonDir;
    private readonly string _root;
    private readonly string? _mainWorkingDirectory;
    private readonly string _worktreesDirectory;
    private readonly string? _reportsDirectory;
    private readonly string _mainRef;
    private readonly MergeTurnstile _turnstile = new();
    private readonly Dictionary<string, string> _mergedBy = new(StringComparer.Ordinal);
    private IntegrationWorktree? _integration;
    private bool _disposed;

    /// <summary>Opens the repository of <see cref="MergeOptions.RepositoryPath"/> for merging.</summary>
    /// <param name="options">The options; they are checked and copied.</param>
    /// <exception cref="ParallelAgentsConfigurationException">The options are invalid; every problem is listed.</exception>
    /// <exception cref="ArgumentException">No git repository is at <see cref="MergeOptions.RepositoryPath"/>.</exception>
    public BranchMerger(MergeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        _logger = _options.LoggerFactory.CreateLogger<BranchMerger>();
        string path = Path.GetFullPath(_options.RepositoryPath);
        string? gitDir = Directory.Exists(path) ? Repository.Discover(path) : null;
        if (gitDir is null)
        {
            throw new ArgumentException(
                $"No git repository is at '{path}'; set MergeOptions.RepositoryPath to the repository's folder (run 'git init' there to make one).",
                nameof(options));
        }

        _repository = new Repository(gitDir);
        _commonDir = CommonDirectory(_repository.Info.Path);
        _mainWorkingDirectory = _repository.Info.IsBare ? null : MainWorkingDirectory(_commonDir, _repository.Info.WorkingDirectory);
        _root = _repository.Info.IsBare
            ? Path.TrimEndingDirectorySeparator(_repository.Info.Path)
            : Path.TrimEndingDirectorySeparator(_repository.Info.WorkingDirectory);
        _worktreesDirectory = _options.WorktreesDirectory is null ? _root + ".worktrees" : Path.GetFullPath(_options.WorktreesDirectory, _root);
        _reportsDirectory = _options.ReportsDirectory is null ? null : Path.GetFullPath(_options.ReportsDirectory, _root);
        _mainRef = "refs/heads/" + _options.MainBranch;
    }

    /// <summary>The full path of the repository: its working tree, or its git folder when it is bare.</summary>
    public string RepositoryPath => _root;

    /// <summary>The folder reports are written to, or <see langword="null"/> when none are.</summary>
    public string? ReportsDirectory => _reportsDirectory;

    /// <summary>
    /// Merges one task's branch into the main branch when its turn comes (lowest <see cref="MergeRequest.PlanPosition"/>
    /// first, then highest priority), and writes its report.
    /// </summary>
    /// <param name="request">The task, its branch, its place in the plan and the conflict resolvers.</param>
    /// <param name="cancellationToken">Cancels waiting, resolving and verifying; the main branch is then left as it was.</param>
    /// <returns>How the merge ended. Conflicts, failed verification and branches with nothing to merge are results, not
    /// exceptions.</returns>
    /// <exception cref="ArgumentException">The request is incomplete; the message names the field.</exception>
    /// <exception cref="InvalidOperationException">The main branch does not exist, or kept moving (or stayed locked by
    /// another git command) for <see cref="MergeOptions.MaxMainBranchRetries"/> attempts.</exception>
    public async Task<MergeResult> MergeAsync(MergeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _turnstile.EnterAsync(request.PlanPosition, request.Task.Priority, cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return await MergeCoreAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turnstile.Exit();
        }
    }

    /// <summary>
    /// Merges the branches of many tasks of a plan, dependencies first, then by priority (higher first), then in plan
    /// order:
    /// what the <c>merge</c> command does after a run. A task whose dependency did not reach the main branch is skipped,
    /// so that the main branch never gets work whose foundation is missing.
    /// </summary>
    /// <param name="runId">The run's id, for reports and the integration worktree.</param>
    /// <param name="plan">The plan the tasks belong to.</param>
    /// <param name="taskIds">The tasks to merge (typically those that succeeded); others are left alone.</param>
    /// <param name="resolvers">The conflict resolvers, asked in order.</param>
    /// <param name="branchPrefix">What the tasks' branch names start with: task <c>x</c> is on <c>agent/x</c>.</param>
    /// <param name="cancellationToken">Cancels the remaining merges.</param>
    /// <returns>One result per task, in the order the merges ran.</returns>
    /// <exception cref="KeyNotFoundException">A task id is not in the plan.</exception>
    public async Task<IReadOnlyList<MergeResult>> MergeAllAsync(
        string runId, TaskPlan plan, IEnumerable<string> taskIds, IReadOnlyList<IConflictResolver> resolvers,
        string branchPrefix = "agent/", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(taskIds);
        ArgumentNullException.ThrowIfNull(resolvers);
        ArgumentNullException.ThrowIfNull(branchPrefix);
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (string id in taskIds)
        {
            _ = plan[id];
            wanted.Add(id);
        }

        List<AgentTask> order = MergeOrder(plan);
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < order.Count; i++)
        {
            position[order[i].Id] = i;
        }

        var results = new List<MergeResult>();
        var missing = new HashSet<string>(plan.Tasks.Select(t => t.Id).Where(id => !wanted.Contains(id)), StringComparer.Ordinal);
        foreach (AgentTask task in order.Where(t => wanted.Contains(t.Id)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? blocker = task.Dependencies.FirstOrDefault(missing.Contains);
            MergeResult result;
            if (blocker is not null)
            {
                result = Skipped(runId, task.Id, branchPrefix + task.Id, $"Not merged: its dependency '{blocker}' is not on '{_options.MainBranch}'.");
            }
            else
            {
                result = await MergeAsync(
                    new MergeRequest { RunId = runId, Task = task, Branch = branchPrefix + task.Id, PlanPosition = position[task.Id], Resolvers = resolvers, Plan = plan },
                    cancellationToken).ConfigureAwait(false);
            }

            // A branch already contained in main counts as merged; a missing branch or a failed merge blocks dependents.
            bool alreadyInMain = result.Status == MergeStatus.Skipped && result.TheirsCommit is not null;
            if (!result.ReachedMain && !alreadyInMain)
            {
                missing.Add(task.Id);
            }

            results.Add(result);
        }

        return results;
    }

    /// <summary>The plan's tasks with every dependency before its dependents and, among the tasks whose dependencies
    /// are placed, the highest priority first, then plan order.</summary>
    internal static List<AgentTask> MergeOrder(TaskPlan plan)
    {
        IReadOnlyList<AgentTask> tasks = plan.Tasks;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tasks.Count; i++)
        {
            index[tasks[i].Id] = i;
        }

        int[] waitingOn = [.. tasks.Select(t => t.Dependencies.Count)];
        var ready = new PriorityQueue<int, (int Priority, int Index)>();
        for (int i = 0; i < tasks.Count; i++)
        {
            if (waitingOn[i] == 0)
            {
                ready.Enqueue(i, (-(int)tasks[i].Priority, i));
            }
        }

        var order = new List<AgentTask>(tasks.Count);
        while (ready.TryDequeue(out int next, out _))
        {
            order.Add(tasks[next]);
            foreach (AgentTask dependent in plan.GetDependents(tasks[next].Id))
            {
                int d = index[dependent.Id];
                if (--waitingOn[d] == 0)
                {
                    ready.Enqueue(d, (-(int)dependent.Priority, d));
                }
            }
        }

        return order;
    }

    /// <summary>Writes <c>merge_summary_&lt;timestamp&gt;.txt</c>, a table of <paramref name="results"/> (task, branch,
    /// status, commits, files, conflicts, resolver, message) followed by each conflict's files and lines.</summary>
    /// <param name="results">The merges to list, in the order to show.</param>
    /// <returns>The summary's full path, or <see langword="null"/> when <see cref="MergeOptions.ReportsDirectory"/> is
    /// <see langword="null"/>.</returns>
    public string? WriteSummary(IReadOnlyList<MergeResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return _reportsDirectory is null
            ? null
            : MergeReports.WriteSummary(_reportsDirectory, results, _options.MainBranch, _options.TimeProvider.GetUtcNow());
    }

    /// <summary>Waits for the merge in progress, then removes the integration worktree and closes the repository.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _turnstile.EnterAsync(int.MinValue, TaskPriority.High, CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _integration?.Dispose();
            _integration = null;
            _repository.Dispose();
        }
        finally
        {
            _turnstile.Exit();
        }
    }

    private async Task<MergeResult> MergeCoreAsync(MergeRequest request, CancellationToken cancellationToken)
    {
        long started = _options.TimeProvider.GetTimestamp();
        var outcome = new Outcome(request);
        Branch? branch = _repository.Branches[request.Branch];
        if (branch?.Tip is null || branch.IsRemote)
        {
            outcome.Status = MergeStatus.Skipped;
            outcome.Message = $"The branch '{request.Branch}' does not exist; there is nothing to merge.";
            return Finish(outcome, started);
        }

        Commit theirs = branch.Tip;
        outcome.Theirs = theirs.Sha;
        int rounds = 0;
        bool locked = false;
        for (int attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (attempt > _options.MaxMainBranchRetries && locked)
            {
                throw new InvalidOperationException(
                    $"The branch '{_options.MainBranch}' stayed locked by '{Path.Combine(_commonDir, _mainRef)}.lock' while '{request.Branch}' was being merged: " +
                    "another git command holds it, or one crashed and left it. Wait for the command, or delete the file if no git command is running.");
            }

            if (attempt > _options.MaxMainBranchRetries)
            {
                throw new InvalidOperationException(
                    $"The branch '{_options.MainBranch}' moved {_options.MaxMainBranchRetries} times while '{request.Branch}' was being merged; " +
                    "something else keeps committing to it. Stop it, or raise MergeOptions.MaxMainBranchRetries.");
            }

            Commit ours = ReadMain();
            Commit? @base = _repository.ObjectDatabase.FindMergeBase(ours, theirs);
            outcome.Ours = ours.Sha;
            outcome.Base = @base?.Sha;
            outcome.Conflicts = [];
            outcome.Resolver = null;
            outcome.ResolutionCommit = null;
            if (@base?.Id == theirs.Id)
            {
                outcome.Status = MergeStatus.Skipped;
                outcome.Files = [];
                outcome.Message = $"'{request.Branch}' has no commits that are not on '{_options.MainBranch}' already.";
                return Finish(outcome, started);
            }

            outcome.Files = ChangedFiles(@base, theirs);
            Prepared prepared = await PrepareAsync(request, ours, theirs, @base, null, null, cancellationToken).ConfigureAwait(false);
            if (prepared.Conflicts is not null)
            {
                outcome.Conflicts = prepared.Conflicts;
                if (++rounds > _options.MaxResolutionRounds)
                {
                    outcome.Status = MergeStatus.Conflict;
                    outcome.Message = $"'{request.Branch}' still conflicts with '{_options.MainBranch}' after {_options.MaxResolutionRounds} rounds of resolution; " +
                        $"'{_options.MainBranch}' and '{request.Branch}' are unchanged.";
                    return Finish(outcome, started);
                }

                prepared = await ResolveAsync(request, ours, theirs, @base, outcome, cancellationToken).ConfigureAwait(false);
                if (prepared.Conflicts is not null)
                {
                    outcome.Status = MergeStatus.Conflict;
                    outcome.Message = ConflictMessage(request, outcome);
                    return Finish(outcome, started);
                }
            }

            if (prepared.VerifyCommand is not null)
            {
                outcome.Status = MergeStatus.VerifyFailed;
                outcome.VerifyCommand = prepared.VerifyCommand;
                outcome.VerifyOutput = prepared.VerifyOutput;
                outcome.Message = $"'{prepared.VerifyCommand}' failed on the merged tree{(prepared.Resolver is null ? "" : $" of {prepared.Resolver}'s resolution")}; " +
                    $"'{_options.MainBranch}' did not move and '{request.Branch}' is unchanged.";
                outcome.Resolver = null;
                outcome.ResolutionCommit = null;
                return Finish(outcome, started);
            }

            Commit next = prepared.Commit!;
            RefStore.SwapOutcome swap = RefStore.TryLock(_commonDir, _mainRef, ours.Sha, out RefStore.Held? held);
            locked = swap == RefStore.SwapOutcome.Locked;
            if (locked)
            {
                MergeLog.MainLocked(_logger, _options.MainBranch, attempt);

                // Another git command holds the branch's lock for a moment; try again shortly.
                await Task.Delay(TimeSpan.FromMilliseconds(10 * attempt), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (swap == RefStore.SwapOutcome.Moved)
            {
                MergeLog.MainMoved(_logger, _options.MainBranch, ours.Sha, request.Branch);
                continue;
            }

            // With the branch locked at 'ours', the working trees where it is checked out are checked and, when clean,
            // moved to the merged tree first, so that nothing can move the branch in between; then the branch advances.
            string? treeNote;
            using (held)
            {
                List<(string Root, string? Obstacle)> checkouts = [.. MainCheckouts.Find(_commonDir, _mainRef, _mainWorkingDirectory)
                    .Select(root => (root, _options.UpdateWorkingTree ? MainCheckouts.FindObstacle(root, ours, next) : "MergeOptions.UpdateWorkingTree is off"))];
                treeNote = UpdateCheckouts(checkouts, ours, next, outcome);
                held!.Publish(
                    next.Sha, _options.CommitterName, _options.CommitterEmail, _options.TimeProvider.GetUtcNow(),
                    $"parallel-agents: merge {request.Branch} ({MergeReports.StrategyName(_options.Strategy)})");
            }

            _mergedBy[next.Sha] = request.Task.Id;
            outcome.Merged = next.Sha;
            outcome.Status = outcome.Resolver is null ? MergeStatus.Merged : MergeStatus.Resolved;
            outcome.Message = (outcome.Resolver is null
                ? $"Merged '{request.Branch}' into '{_options.MainBranch}' ({MergeReports.StrategyName(_options.Strategy)}) at {Short(next.Sha)}."
                : $"{Files(outcome.Conflicts.Count)} in conflict resolved by {outcome.Resolver}; merged into '{_options.MainBranch}' at {Short(next.Sha)}.")
                + treeNote;
            return Finish(outcome, started);
        }
    }

    private Commit ReadMain()
    {
        string? id = RefStore.Read(_commonDir, _mainRef);
        Commit? commit = id is null ? null : _repository.Lookup<Commit>(id);
        return commit ?? throw new InvalidOperationException(
            $"The main branch '{_options.MainBranch}' does not exist in '{_root}'; create it (git branch {_options.MainBranch}) or set MergeOptions.MainBranch to the branch to merge into.");
    }

    /// <summary>Computes the merge of <paramref name="source"/> into <paramref name="ours"/> in memory, writes its commit
    /// and runs the verify commands on it.</summary>
    private async Task<Prepared> PrepareAsync(
        MergeRequest request, Commit ours, Commit source, Commit? @base, string? resolver, string? description, CancellationToken cancellationToken)
    {
        Commit commit;
        if (_options.Strategy == MergeStrategy.FastForward && @base?.Id == ours.Id)
        {
            commit = source;
        }
        else
        {
            (Tree? tree, IEnumerable<Conflict>? conflicts, List<MergeConflict>? moved) = InMemoryMerge.Check(_repository, ours, source, @base);
            if (tree is null)
            {
                return new Prepared { Conflicts = moved ?? DescribeConflicts(conflicts!, ours, @base) };
            }

            commit = WriteCommit(request, ours, source, tree, resolver, description);
        }

        if (_options.VerifyCommands.Count > 0)
        {
            _integration ??= IntegrationWorktree.Create(_repository, _commonDir, _worktreesDirectory, request.RunId, commit);
            _integration.MoveTo(commit);
            foreach (string command in _options.VerifyCommands)
            {
                CommandResult result = await ProcessRunner.RunAsync(
                    new CommandRequest { Command = command, Timeout = _options.VerifyTimeout }, _integration.RootPath, _options.CommandEnvironment, cancellationToken)
                    .ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    string output = result.TimedOut ? result.Output + $"\n(killed after {_options.VerifyTimeout})" : result.Output;
                    return new Prepared { Commit = commit, VerifyCommand = command, VerifyOutput = output };
                }
            }
        }

        return new Prepared { Commit = commit };
    }

    private async Task<Prepared> ResolveAsync(
        MergeRequest request, Commit ours, Commit theirs, Commit? @base, Outcome outcome, CancellationToken cancellationToken)
    {
        var context = new ConflictContext
        {
            RunId = request.RunId,
            Task = request.Task,
            Branch = request.Branch,
            RepositoryPath = _root,
            MainBranch = _options.MainBranch,
            OursCommit = ours.Sha,
            TheirsCommit = theirs.Sha,
            BaseCommit = @base?.Sha,
            Conflicts = outcome.Conflicts,
            RerunAgentAsync = request.RerunAgentAsync,
            Memory = request.Memory,
            Plan = request.Plan,
        };
        Prepared? verifyFailure = null;
        foreach (IConflictResolver resolver in request.Resolvers)
        {
            string name = string.IsNullOrWhiteSpace(resolver.Name) ? resolver.GetType().Name : resolver.Name;
            ConflictResolution? resolution;
            try
            {
                resolution = await resolver.ResolveAsync(context, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // A failing resolver is one link of the chain; the next one is asked and the report says why.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                outcome.Attempts.Add($"{name}: failed: {exception.GetType().Name}: {exception.Message}");
                continue;
            }

            if (resolution is null || !resolution.IsResolved)
            {
                outcome.Attempts.Add($"{name}: not resolved: {resolution?.Reason ?? "no answer"}");
                continue;
            }

            Commit? candidate = LookupCommit(resolution.CommitId!);
            if (candidate is null)
            {
                outcome.Attempts.Add($"{name}: refused: '{resolution.CommitId}' is not a commit of the repository");
                continue;
            }

            Commit? candidateBase = _repository.ObjectDatabase.FindMergeBase(ours, candidate);
            if (candidateBase?.Id == candidate.Id)
            {
                outcome.Attempts.Add($"{name}: refused: {Short(candidate.Sha)} brings nothing that is not on '{_options.MainBranch}' already");
                continue;
            }

            Prepared prepared = await PrepareAsync(request, ours, candidate, candidateBase, name, resolution.Reason, cancellationToken).ConfigureAwait(false);
            if (prepared.Conflicts is not null)
            {
                outcome.Attempts.Add($"{name}: refused: {Short(candidate.Sha)} still conflicts with '{_options.MainBranch}' in {string.Join(", ", prepared.Conflicts.Select(c => c.Path))}");
                continue;
            }

            if (prepared.VerifyCommand is not null)
            {
                outcome.Attempts.Add($"{name}: refused: '{prepared.VerifyCommand}' failed on the merge of {Short(candidate.Sha)}");
                verifyFailure ??= new Prepared { Commit = prepared.Commit, VerifyCommand = prepared.VerifyCommand, VerifyOutput = prepared.VerifyOutput, Resolver = name };
                continue;
            }

            outcome.Attempts.Add($"{name}: resolved with {Short(candidate.Sha)}" + (resolution.Reason is null ? "" : $": {resolution.Reason}"));
            outcome.Resolver = name;
            outcome.ResolutionCommit = candidate.Sha;
            outcome.Files = ChangedFiles(candidateBase, candidate);
            return prepared;
        }

        return verifyFailure ?? new Prepared { Conflicts = outcome.Conflicts };
    }

    private Commit? LookupCommit(string id)
    {
        try
        {
            return _repository.Lookup<Commit>(id);
        }
        catch (LibGit2SharpException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private Commit WriteCommit(MergeRequest request, Commit ours, Commit source, Tree tree, string? resolver, string? description)
    {
        var signature = new Signature(_options.CommitterName, _options.CommitterEmail, _options.TimeProvider.GetUtcNow());
        var message = new System.Text.StringBuilder();
        if (_options.Strategy == MergeStrategy.Squash)
        {
            message.Append(CultureInfo.InvariantCulture, $"Squash merge branch '{request.Branch}' into {_options.MainBranch} (task {request.Task.Id})\n\n");
            var filter = new CommitFilter { IncludeReachableFrom = source, ExcludeReachableFrom = ours, SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Reverse };
            foreach (Commit commit in _repository.Commits.QueryBy(filter).Take(50))
            {
                message.Append("* ").Append(commit.MessageShort).Append('\n');
            }

            message.Append('\n');
        }
        else
        {
            message.Append(CultureInfo.InvariantCulture, $"Merge branch '{request.Branch}' into {_options.MainBranch} (task {request.Task.Id})\n\n");
        }

        if (resolver is not null)
        {
            message.Append(CultureInfo.InvariantCulture, $"Conflicts resolved by {resolver} in {Short(source.Sha)}{(description is null ? "" : ": " + description)}\n\n");
        }

        message.Append(TaskTrailer).Append(request.Task.Id).Append('\n');
        message.Append("ParallelAgents-Run: ").Append(request.RunId).Append('\n');
        Commit[] parents = _options.Strategy == MergeStrategy.Squash ? [ours] : [ours, source];
        return _repository.ObjectDatabase.CreateCommit(signature, signature, message.ToString(), tree, parents, prettifyMessage: false);
    }

    private List<MergeConflict> DescribeConflicts(IEnumerable<Conflict> conflicts, Commit ours, Commit? @base)
    {
        var described = new List<MergeConflict>();
        foreach (Conflict conflict in conflicts)
        {
            string otherPath = conflict.Ours?.Path ?? MergeConflictReader.PathOf(conflict);
            described.Add(MergeConflictReader.Read(_repository, conflict, FindOtherTask(ours, @base, otherPath)));
        }

        described.Sort((x, y) => string.CompareOrdinal(x.Path, y.Path));
        return described;
    }

    /// <summary>The task whose merge last changed <paramref name="path"/> on the main branch since the merge base, found
    /// through the trailer this merger writes in its commits.</summary>
    private string? FindOtherTask(Commit ours, Commit? @base, string path)
    {
        Commit current = ours;
        for (int step = 0; step < 1000 && current.Id != @base?.Id; step++)
        {
            Commit? parent = current.Parents.FirstOrDefault();
            if (parent is null)
            {
                break;
            }

            if (current[path]?.Target.Id != parent[path]?.Target.Id)
            {
                string? task = _mergedBy.GetValueOrDefault(current.Sha) ?? TrailerTask(current.Message);
                if (task is not null)
                {
                    return task;
                }
            }

            current = parent;
        }

        return null;
    }

    private static string? TrailerTask(string message)
    {
        int at = message.LastIndexOf("\n" + TaskTrailer, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        int start = at + 1 + TaskTrailer.Length;
        int end = message.IndexOf('\n', start);
        return (end < 0 ? message[start..] : message[start..end]).Trim();
    }

    private List<string> ChangedFiles(Commit? @base, Commit commit)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (TreeEntryChanges change in _repository.Diff.Compare<TreeChanges>(@base?.Tree, commit.Tree))
        {
            files.Add(change.Path);
            if (change.OldPath != change.Path && !string.IsNullOrEmpty(change.OldPath))
            {
                files.Add(change.OldPath);
            }
        }

        return [.. files];
    }

    private string? UpdateCheckouts(List<(string Root, string? Obstacle)> checkouts, Commit ours, Commit next, Outcome outcome)
    {
        string? note = null;
        foreach ((string root, string? found) in checkouts)
        {
            string? obstacle = found;
            if (obstacle is null)
            {
                try
                {
                    obstacle = MainCheckouts.Update(root, ours, next);
                }
                catch (LibGit2SharpException exception)
                {
                    obstacle = $"it could not be updated ({exception.Message}); run 'git status' there";
                }
            }

            if (obstacle is null)
            {
                outcome.WorkingTreeUpdated = true;
                note += $" The working tree at '{root}' was updated.";
                continue;
            }

            MergeLog.WorkingTreeLeft(_logger, root, obstacle);
            outcome.WorkingTreeLeftAsIs ??= root;
            note += $" The working tree at '{root}' was left exactly as it was because {obstacle}; it still shows the old '{_options.MainBranch}' (see the report's manual_steps to catch up).";
        }

        return note;
    }

    private string ConflictMessage(MergeRequest request, Outcome outcome)
    {
        string files = string.Join(", ", outcome.Conflicts.Select(c => $"{c.Path} ({c.Kind})"));
        string resolvers = request.Resolvers.Count == 0 ? "no resolver is configured" : "no resolver resolved it";
        return $"'{request.Branch}' conflicts with '{_options.MainBranch}' in {Files(outcome.Conflicts.Count)}: {files}; {resolvers}. " +
            $"'{_options.MainBranch}' and '{request.Branch}' are unchanged; the report's manual_steps finish the merge by hand.";
    }

    /// <summary>Records a branch rejected in review: its result and report say so, and nothing is merged.</summary>
    internal MergeResult Rejected(MergeRequest request, string message, string headCommit, string? baseCommit, IReadOnlyList<string> files)
    {
        var outcome = new Outcome(request)
        {
            Status = MergeStatus.Rejected,
            Message = message,
            Theirs = headCommit,
            Base = baseCommit,
            Files = files,
        };
        return Finish(outcome, _options.TimeProvider.GetTimestamp());
    }

    private MergeResult Skipped(string runId, string taskId, string branch, string message)
    {
        var outcome = new Outcome(new MergeRequest { RunId = runId, Task = new AgentTask { Id = taskId, Instructions = "-" }, Branch = branch })
        {
            Status = MergeStatus.Skipped,
            Message = message,
        };
        return Finish(outcome, _options.TimeProvider.GetTimestamp());
    }

    private MergeResult Finish(Outcome outcome, long started)
    {
        DateTimeOffset now = _options.TimeProvider.GetUtcNow();
        TimeSpan duration = _options.TimeProvider.GetElapsedTime(started);
        SecretRedactor redactor = _options.Redactor;
        outcome.Message = redactor.RedactOrNull(outcome.Message);
        outcome.VerifyCommand = redactor.RedactOrNull(outcome.VerifyCommand);
        outcome.VerifyOutput = redactor.RedactOrNull(outcome.VerifyOutput);
        for (int i = 0; i < outcome.Attempts.Count; i++)
        {
            outcome.Attempts[i] = redactor.Redact(outcome.Attempts[i]);
        }

        MergeResult Build(string? reportPath) => new()
        {
            TaskId = outcome.Request.Task.Id,
            Branch = outcome.Request.Branch,
            Status = outcome.Status,
            BaseCommit = outcome.Base,
            OursCommit = outcome.Ours,
            TheirsCommit = outcome.Theirs,
            MergedCommit = outcome.Merged,
            Files = outcome.Files,
            Conflicts = outcome.Conflicts,
            Resolver = outcome.Resolver,
            ResolutionCommit = outcome.ResolutionCommit,
            ResolverAttempts = outcome.Attempts,
            WorkingTreeUpdated = outcome.WorkingTreeUpdated,
            WorkingTreeLeftAsIs = outcome.WorkingTreeLeftAsIs,
            Message = outcome.Message,
            VerifyCommand = outcome.VerifyCommand,
            VerifyOutput = outcome.VerifyOutput,
            ReportPath = reportPath,
            Review = outcome.Request.Review,
            CompletedAt = now,
            Duration = duration,
        };

        foreach (string attempt in outcome.Attempts)
        {
            MergeLog.ResolverAttempt(_logger, outcome.Request.Branch, attempt);
        }

        MergeLog.MergeCompleted(_logger, outcome.Request.Branch, outcome.Request.Task.Id, _options.MainBranch, outcome.Status, outcome.Message);
        MergeResult result = Build(null);
        if (_reportsDirectory is null)
        {
            return result;
        }

        string path = MergeReports.WriteMerge(_reportsDirectory, result, outcome.Request.RunId, _options.MainBranch, _options.Strategy);
        return Build(path);
    }

    private static string Files(int count) => count == 1 ? "1 file" : $"{count} files";

    private static string Short(string sha) => sha[..Math.Min(12, sha.Length)];

    private static string CommonDirectory(string gitDir)
    {
        string file = Path.Combine(gitDir, "commondir");
        string dir = File.Exists(file) ? Path.GetFullPath(File.ReadAllText(file).Trim(), gitDir) : gitDir;
        return Path.TrimEndingDirectorySeparator(dir);
    }

    private static string? MainWorkingDirectory(string commonDir, string? openedWorkingDirectory) =>
        Path.GetFileName(commonDir) == ".git" ? Path.GetDirectoryName(commonDir) : openedWorkingDirectory;

    private sealed class Outcome(MergeRequest request)
    {
        public MergeRequest Request { get; } = request;

        public MergeStatus Status { get; set; }

        public string? Base { get; set; }

        public string? Ours { get; set; }

        public string? Theirs { get; set; }

        public string? Merged { get; set; }

        public IReadOnlyList<string> Files { get; set; } = [];

        public List<MergeConflict> Conflicts { get; set; } = [];

        public string? Resolver { get; set; }

        public string? ResolutionCommit { get; set; }

        public List<string> Attempts { get; } = [];

        public bool WorkingTreeUpdated { get; set; }

        public string? WorkingTreeLeftAsIs { get; set; }

        public string? Message { get; set; }

        public string? VerifyCommand { get; set; }

        public string? VerifyOutput { get; set; }
    }

    private sealed class Prepared
    {
        public Commit? Commit { get; init; }

        public List<MergeConflict>? Conflicts { get; init; }

        public string? VerifyCommand { get; init; }

        public string? VerifyOutput { get; init; }

        /// <summary>The resolver whose resolution this is, when it is one.</summary>
        public string? Resolver { get; init; }
    }
}
