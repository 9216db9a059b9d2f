using System.Collections.Concurrent;
using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>
/// Predicts merge conflicts while agents work: whenever an agent commits, its branch is merged in memory with the
/// main branch and with every other live task's branch, and each conflict found is raised as
/// <see cref="ConflictPredicted"/> and stored in the shared memory under <c>conflicts/predicted/</c>, so agents and
/// users learn of it before the merge. A later commit that no longer conflicts clears it.
/// </summary>
/// <remarks>
/// <para>Nothing is written to the repository: no ref moves, and the objects an in-memory merge writes (merged blobs,
/// trees, virtual merge bases) are kept in memory and dropped.</para>
/// <para>Thread-safe: commits of several agents may be reported at once. Merges run in parallel, up to one per
/// processor, each on its own repository handle from a pool; updates of the predictions and the shared memory are
/// serialised, and a result computed before a newer one for the same pair of branches is discarded.</para>
/// <para>If a shared memory write fails, the exception propagates and the prediction is not recorded, so the next
/// commit of either task publishes it again.</para>
/// </remarks>
public sealed class ConflictForecaster : IDisposable
{
    /// <summary>The author of the forecaster's shared memory writes.</summary>
    public const string Author = "conflict-forecaster";

    /// <summary>The last segment of the key of a conflict with the main branch; task ids cannot start with <c>@</c>.</summary>
    private const string MainSegment = "@main";

    private readonly string _repositoryPath;
    private readonly string _mainBranch;
    private readonly ISharedMemory? _memory;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<string, string> _branches = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<MergeHandle> _handles = [];
    // One handle per core at most, reused: opening a handle per commit costs more than the merges it serves (see
    // ForecastBenchmarks), and more merges at once than cores only compete.
    private readonly SemaphoreSlim _handleSlots = new(Environment.ProcessorCount, Environment.ProcessorCount);
    // Guards _predictions and the shared memory writes, so the store always mirrors _predictions.
    private readonly SemaphoreSlim _publishLock = new(1, 1);
    private readonly Dictionary<string, Prediction> _predictions = new(StringComparer.Ordinal);
    // The ticket of the check that last decided each pair, conflict or not, so an older check finishing late cannot
    // bring back a prediction a newer one cleared.
    private readonly Dictionary<string, long> _decidedBy = new(StringComparer.Ordinal);
    private long _ticket;
    private volatile bool _disposed;

    /// <summary>Creates a forecaster for one repository.</summary>
    /// <param name="repositoryPath">The repository's working tree or git folder.</param>
    /// <param name="mainBranch">The branch agents' work merges into, such as <c>main</c>.</param>
    /// <param name="memory">Where predictions are published, or <see langword="null"/> to only raise events.</param>
    /// <param name="timeProvider">The clock for <see cref="ConflictForecast.PredictedAt"/>; <see langword="null"/> for the system clock.</param>
    /// <exception cref="ArgumentException">The path is not a git repository, or it has no branch <paramref name="mainBranch"/>.</exception>
    public ConflictForecaster(string repositoryPath, string mainBranch, ISharedMemory? memory = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repositoryPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(mainBranch);
        string fullPath = Path.GetFullPath(repositoryPath);
        if (!Repository.IsValid(fullPath))
        {
            throw new ArgumentException($"'{fullPath}' is not a git repository; pass the repository's working tree or git folder.", nameof(repositoryPath));
        }

        _repositoryPath = fullPath;
        _mainBranch = mainBranch;
        _memory = memory;
        _timeProvider = timeProvider ?? TimeProvider.System;

        MergeHandle handle = MergeHandle.Open(fullPath);
        if (handle.Repository.Refs[BranchRef(mainBranch)] is null)
        {
            handle.Dispose();
            throw new ArgumentException($"The repository at '{fullPath}' has no branch '{mainBranch}'; pass the name of the branch agents merge into.", nameof(mainBranch));
        }

        _handles.Add(handle);
    }

    /// <summary>Raised when a conflict is predicted, or a predicted one changes (other files or lines). Handlers run on
    /// the thread that reported the commit, after the shared memory is updated.</summary>
    public event EventHandler<ConflictForecast>? ConflictPredicted;

    /// <summary>Raised when a predicted conflict no longer holds (a later commit removed it, or a task stopped being
    /// tracked); the argument is the forecast that was cleared.</summary>
    public event EventHandler<ConflictForecast>? ConflictCleared;

    /// <summary>The conflicts predicted now, ordered by <see cref="ConflictForecast.MemoryKey"/>.</summary>
    public IReadOnlyList<ConflictForecast> Current
    {
        get
        {
            _publishLock.Wait();
            try
            {
                return [.. _predictions.Values.Select(p => p.Forecast).OrderBy(f => f.MemoryKey, StringComparer.Ordinal)];
            }
            finally
            {
                _publishLock.Release();
            }
        }
    }

    /// <summary>Starts treating a task's branch as live: other tasks' commits are checked against it.</summary>
    /// <param name="taskId">The task.</param>
    /// <param name="branch">Its branch, such as <c>agent/backend-api</c>.</param>
    public void TrackBranch(string taskId, string branch)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        ArgumentException.ThrowIfNullOrWhiteSpace(branch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _branches[taskId] = branch;
    }

    /// <summary>Stops tracking a task's branch (it was merged, failed or was cancelled) and clears the predictions
    /// that involve it, from the shared memory too.</summary>
    /// <param name="taskId">The task.</param>
    /// <param name="cancellationToken">Cancels the shared memory updates.</param>
    /// <returns>A task that completes when the predictions are cleared.</returns>
    public async ValueTask UntrackBranchAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        _branches.TryRemove(taskId, out _);
        var cleared = new List<ConflictForecast>();
        await _publishLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach ((string key, Prediction prediction) in _predictions.ToList())
            {
                if (prediction.Forecast.TaskId == taskId || prediction.Forecast.OtherTaskId == taskId)
                {
                    await ClearAsync(key, cancellationToken).ConfigureAwait(false);
                    cleared.Add(prediction.Forecast);
                }
            }
        }
        finally
        {
            _publishLock.Release();
        }

        foreach (ConflictForecast forecast in cleared)
        {
            ConflictCleared?.Invoke(this, forecast);
        }
    }

    /// <summary>Checks a task's new commit against the main branch and every other tracked branch.</summary>
    /// <param name="taskId">The task that committed.</param>
    /// <param name="commitId">The commit's full id.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The conflicts predicted for this commit now (empty when it merges cleanly everywhere).</returns>
    /// <exception cref="ArgumentException">The commit is not in the repository.</exception>
    public ValueTask<IReadOnlyList<ConflictForecast>> OnCommitAsync(string taskId, string commitId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        ArgumentException.ThrowIfNullOrWhiteSpace(commitId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        string branch = _branches.TryGetValue(taskId, out string? tracked) ? tracked : "";
        var others = _branches.Where(b => b.Key != taskId).Select(b => (TaskId: (string?)b.Key, Branch: b.Value)).ToList();
        return CheckAsync(taskId, branch, commitId, [(null, _mainBranch), .. others], cancellationToken);
    }

    /// <summary>Checks every tracked branch's tip again, against the main branch and each other; call it after the main
    /// branch moved (a merge), since a live branch may now conflict with what was merged.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Every conflict predicted now.</returns>
    public async ValueTask<IReadOnlyList<ConflictForecast>> RefreshAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var tasks = _branches.OrderBy(b => b.Key, StringComparer.Ordinal).ToList();
        for (int i = 0; i < tasks.Count; i++)
        {
            string? tip = await ReadTipAsync(tasks[i].Value, cancellationToken).ConfigureAwait(false);
            if (tip is null)
            {
                continue;
            }

            // Each pair once: against main and the tasks after this one.
            var targets = new List<(string? TaskId, string Branch)> { (null, _mainBranch) };
            targets.AddRange(tasks.Skip(i + 1).Select(t => ((string?)t.Key, t.Value)));
            await CheckAsync(tasks[i].Key, tasks[i].Value, tip, targets, cancellationToken).ConfigureAwait(false);
        }

        return Current;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        while (_handles.TryTake(out MergeHandle? handle))
        {
            handle.Dispose();
        }
    }

    internal static string KeyFor(string taskId, string? otherTaskId)
    {
        if (otherTaskId is null)
        {
            return SharedMemoryKeys.Conflict($"predicted/{taskId}/{MainSegment}");
        }

        return string.CompareOrdinal(taskId, otherTaskId) <= 0
            ? SharedMemoryKeys.Conflict($"predicted/{taskId}/{otherTaskId}")
            : SharedMemoryKeys.Conflict($"predicted/{otherTaskId}/{taskId}");
    }

    private static string BranchRef(string branch) => branch.StartsWith("refs/", StringComparison.Ordinal) ? branch : "refs/heads/" + branch;

    private async ValueTask<string?> ReadTipAsync(string branch, CancellationToken cancellationToken)
    {
        MergeHandle handle = await RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return handle.Repository.Refs[BranchRef(branch)]?.ResolveToDirectReference()?.TargetIdentifier;
        }
        finally
        {
            Return(handle);
        }
    }

    private async ValueTask<IReadOnlyList<ConflictForecast>> CheckAsync(
        string taskId, string branch, string commitId, List<(string? TaskId, string Branch)> targets, CancellationToken cancellationToken)
    {
        long ticket = Interlocked.Increment(ref _ticket);
        MergeHandle handle = await RentAsync(cancellationToken).ConfigureAwait(false);
        List<PairResult> results;
        try
        {
            results = Compute(handle, taskId, commitId, targets, cancellationToken);
        }
        finally
        {
            Return(handle);
        }

        var predicted = new List<ConflictForecast>();
        var cleared = new List<ConflictForecast>();
        var current = new List<ConflictForecast>();
        await _publishLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DateTimeOffset now = _timeProvider.GetUtcNow();
            foreach (PairResult result in results)
            {
                string key = KeyFor(taskId, result.OtherTaskId);
                if (_decidedBy.TryGetValue(key, out long decidedBy) && decidedBy > ticket)
                {
                    // A check that started later has already decided this pair.
                    continue;
                }

                _predictions.TryGetValue(key, out Prediction? existing);

                // A task that stopped being tracked while this check ran has had its predictions cleared: keep it so.
                if ((result.OtherTaskId is not null && !_branches.ContainsKey(result.OtherTaskId)) || (branch.Length > 0 && !_branches.ContainsKey(taskId)))
                {
                    continue;
                }

                _decidedBy[key] = ticket;
                if (result.Conflicts.Count == 0)
                {
                    if (existing is not null)
                    {
                        await ClearAsync(key, cancellationToken).ConfigureAwait(false);
                        cleared.Add(existing.Forecast);
                    }

                    continue;
                }

                bool changed = existing is null || !SameConflicts(existing.Forecast, taskId, result.Conflicts);
                var forecast = new ConflictForecast
                {
                    TaskId = taskId,
                    Branch = branch,
                    Commit = commitId,
                    OtherTaskId = result.OtherTaskId,
                    OtherBranch = result.OtherBranch,
                    OtherCommit = result.OtherCommit,
                    Conflicts = result.Conflicts,
                    PredictedAt = changed ? now : existing!.Forecast.PredictedAt,
                    MemoryKey = key,
                };

                if (changed && _memory is not null)
                {
                    await _memory.SetValueAsync(key, ToReport(forecast), Author, cancellationToken).ConfigureAwait(false);
                }

                _predictions[key] = new Prediction(forecast);
                current.Add(forecast);
                if (changed)
                {
                    predicted.Add(forecast);
                }
            }
        }
        finally
        {
            _publishLock.Release();
        }

        foreach (ConflictForecast forecast in cleared)
        {
            ConflictCleared?.Invoke(this, forecast);
        }

        foreach (ConflictForecast forecast in predicted)
        {
            ConflictPredicted?.Invoke(this, forecast);
        }

        return current;
    }

    private List<PairResult> Compute(MergeHandle handle, string taskId, string commitId, List<(string? TaskId, string Branch)> targets, CancellationToken cancellationToken)
    {
        Repository repository = handle.Repository;
        Commit commit = repository.Lookup<Commit>(commitId)
            ?? throw new ArgumentException($"The commit '{commitId}' reported for task '{taskId}' is not in the repository at '{_repositoryPath}'; report a commit of the task's branch.", nameof(commitId));
        var options = new MergeTreeOptions();
        var results = new List<PairResult>(targets.Count);
        foreach ((string? otherTaskId, string otherBranch) in targets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (repository.Refs[BranchRef(otherBranch)]?.ResolveToDirectReference()?.Target is not Commit other)
            {
                continue;
            }

            var conflicts = new List<MergeConflict>();
            if (other.Id != commit.Id)
            {
                try
                {
                    MergeTreeResult merge = repository.ObjectDatabase.MergeCommits(commit, other, options);
                    if (merge.Status == MergeTreeStatus.Conflicts)
                    {
                        foreach (Conflict conflict in merge.Conflicts)
                        {
                            conflicts.Add(MergeConflictReader.Read(repository, conflict, otherTaskId));
                        }
                    }
                }
                finally
                {
                    // Read before this: a virtual merge base's blobs live only here.
                    handle.Scratch.Clear();
                }
            }

            conflicts.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
            results.Add(new PairResult(otherTaskId, otherBranch, other.Sha, conflicts));
        }

        return results;
    }

    private async ValueTask ClearAsync(string key, CancellationToken cancellationToken)
    {
        if (_memory is not null)
        {
            await _memory.DeleteAsync(key, Author, cancellationToken).ConfigureAwait(false);
        }

        _predictions.Remove(key);
    }

    /// <summary>Whether a stored forecast names the same files and lines, whichever task's commit computed it.</summary>
    private static bool SameConflicts(ConflictForecast existing, string taskId, IReadOnlyList<MergeConflict> conflicts)
    {
        if (existing.Conflicts.Count != conflicts.Count)
        {
            return false;
        }

        bool swapped = existing.TaskId != taskId;
        for (int i = 0; i < conflicts.Count; i++)
        {
            MergeConflict a = existing.Conflicts[i], b = conflicts[i];
            IReadOnlyList<LineRange> aOurs = swapped ? a.TheirsLines : a.OursLines, aTheirs = swapped ? a.OursLines : a.TheirsLines;
            string aKind = swapped ? SwapKind(a.Kind) : a.Kind;
            if (a.Path != b.Path || aKind != b.Kind || !aOurs.SequenceEqual(b.OursLines) || !aTheirs.SequenceEqual(b.TheirsLines))
            {
                return false;
            }
        }

        return true;
    }

    private static string SwapKind(string kind) => kind switch
    {
        "modify/delete" => "delete/modify",
        "delete/modify" => "modify/delete",
        _ => kind,
    };

    private ConflictReport ToReport(ConflictForecast forecast)
    {
        string other = forecast.OtherTaskId is null
            ? $"the main branch '{_mainBranch}'"
            : $"task '{forecast.OtherTaskId}' ({forecast.OtherBranch})";
        string files = string.Join("; ", forecast.Conflicts.Select(c => Describe(c, forecast)));
        string description =
            $"Predicted conflict between task '{forecast.TaskId}'{(forecast.Branch.Length == 0 ? "" : $" ({forecast.Branch})")} and {other}: {files}. " +
            $"Seen at commit {Short(forecast.Commit)} against {Short(forecast.OtherCommit)}.";
        string[] tasks = forecast.OtherTaskId is null
            ? [forecast.TaskId]
            : [.. new[] { forecast.TaskId, forecast.OtherTaskId }.Order(StringComparer.Ordinal)];
        return new ConflictReport(description, [.. forecast.Conflicts.Select(c => c.Path)], tasks, Predicted: true);
    }

    private static string Describe(MergeConflict conflict, ConflictForecast forecast)
    {
        string mine = conflict.OursLines.Count == 0 ? "" : $"{forecast.TaskId} lines {string.Join(", ", conflict.OursLines)}";
        string theirs = conflict.TheirsLines.Count == 0 ? "" : $"{forecast.OtherTaskId ?? forecast.OtherBranch} lines {string.Join(", ", conflict.TheirsLines)}";
        string lines = string.Join(", ", new[] { mine, theirs }.Where(s => s.Length > 0));
        return lines.Length == 0 ? $"{conflict.Path} ({conflict.Kind})" : $"{conflict.Path} ({conflict.Kind}: {lines})";
    }

    private static string Short(string commit) => commit[..Math.Min(10, commit.Length)];

    private async ValueTask<MergeHandle> RentAsync(CancellationToken cancellationToken)
    {
        await _handleSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _handles.TryTake(out MergeHandle? handle) ? handle : MergeHandle.Open(_repositoryPath);
        }
        catch
        {
            _handleSlots.Release();
            throw;
        }
    }

    private void Return(MergeHandle handle)
    {
        if (_disposed)
        {
            handle.Dispose();
        }
        else
        {
            _handles.Add(handle);
            // Dispose may have emptied the pool between the check and the add.
            if (_disposed && _handles.TryTake(out MergeHandle? late))
            {
                late.Dispose();
            }
        }

        _handleSlots.Release();
    }

    private sealed record Prediction(ConflictForecast Forecast);

    private sealed record PairResult(string? OtherTaskId, string OtherBranch, string OtherCommit, IReadOnlyList<MergeConflict> Conflicts);

    /// <summary>A repository handle whose object writes go to memory; libgit2 handles are not thread-safe, so each
    /// is used by one merge at a time.</summary>
    private sealed class MergeHandle : IDisposable
    {
        private MergeHandle(Repository repository, ScratchObjectBackend scratch)
        {
            Repository = repository;
            Scratch = scratch;
        }

        public Repository Repository { get; }

        public ScratchObjectBackend Scratch { get; }

        public static MergeHandle Open(string path)
        {
            var repository = new Repository(path);
            var scratch = new ScratchObjectBackend();
            repository.ObjectDatabase.AddBackend(scratch, ScratchObjectBackend.Priority);
            return new MergeHandle(repository, scratch);
        }

        public void Dispose() => Repository.Dispose();
    }
}
