using System.Globalization;
using LibGit2Sharp;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>
/// The git side of one run: where each task's workspace starts, what is committed when an attempt ends, the merge of
/// each succeeded task's branch into the main branch before its dependents start, and conflict forecasting while
/// agents work.
/// </summary>
/// <remarks>
/// Tasks without dependencies start from the main branch as it was when the run started; a task with dependencies
/// starts from the main branch as it stands when it starts, which holds its dependencies' merged work, because a task
/// is released only after its dependencies' branches were merged. Work is never lost: whatever an attempt leaves in
/// its workspace is committed on its branch, whether it succeeded or not, and a branch that does not merge is kept.
/// </remarks>
internal sealed class RepositoryWorkflow : IAsyncDisposable
{
    private readonly string _runId;
    private readonly TaskPlan _plan;
    private readonly RepositorySettings _settings;
    private readonly IAgent _agent;
    private readonly IIsolationProvider?[] _providers;
    private readonly ISharedMemory? _memory;
    private readonly EventHub _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RunObserver? _observer;
    private readonly BranchMerger _merger;
    private readonly ConflictForecaster? _forecaster;
    private readonly string _runBase;
    private readonly int[] _mergeClaims;
    private readonly int[] _reruns;
    private readonly string?[] _rejections;
    private readonly int[] _planPositions;
    private readonly List<MergeResult> _merges = [];
    private readonly object _mergesGate = new();

    private RepositoryWorkflow(
        string runId, TaskPlan plan, RepositorySettings settings, IAgent agent, IIsolationProvider?[] providers, ISharedMemory? memory,
        EventHub events, TimeProvider time, ILogger logger, RunObserver? observer, BranchMerger merger, string runBase)
    {
        _observer = observer;
        _runId = runId;
        _plan = plan;
        _settings = settings;
        _agent = agent;
        _providers = providers;
        _memory = memory;
        _events = events;
        _time = time;
        _logger = logger;
        _merger = merger;
        _runBase = runBase;
        _mergeClaims = new int[plan.Tasks.Count];
        _reruns = new int[plan.Tasks.Count];
        _rejections = new string?[plan.Tasks.Count];
        _planPositions = new int[plan.Tasks.Count];
        int position = 0;
        foreach (int index in plan.Graph.TopologicalOrder)
        {
            _planPositions[index] = position++;
        }

        if (settings.ForecastConflicts)
        {
            _forecaster = new ConflictForecaster(merger.RepositoryPath, settings.Merge.MainBranch, memory, time);
            _forecaster.ConflictPredicted += OnConflictPredicted;
            _forecaster.ConflictCleared += OnConflictCleared;
        }
    }

    public string MainBranch => _settings.Merge.MainBranch;

    /// <summary>Opens the repository for one run: sweeps the worktrees of dead runs, records where the main branch
    /// stands (or, for a resumed run, where it stood when the run first started: <paramref name="runBase"/>), and makes
    /// the run's merger (with the plan's <c>verify</c> commands).</summary>
    public static async Task<RepositoryWorkflow> StartAsync(
        string runId, TaskPlan plan, RepositorySettings settings, IAgent agent, IIsolationProvider?[] providers, ISharedMemory? memory,
        EventHub events, TimeProvider time, ILogger logger, RunObserver? observer, string? runBase, CancellationToken cancellationToken)
    {
        if (settings.Worktrees is { } worktrees)
        {
            try
            {
                IReadOnlyList<SweptWorktree> swept = await worktrees.SweepAsync(cancellationToken).ConfigureAwait(false);
                if (swept.Count > 0)
                {
                    Log.Swept(logger, runId, swept.Count);
                }
            }
#pragma warning disable CA1031 // Leftovers of an earlier run must not stop this one; the sweeper runs again next time.
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                Log.SweepFailed(logger, runId, ex);
            }
        }

        MergeOptions options = settings.Merge.Clone();
        foreach (string command in plan.Verify)
        {
            options.VerifyCommands.Add(command);
        }

        var merger = new BranchMerger(options);
        try
        {
            runBase ??= ReadMainTip(merger.RepositoryPath, options.MainBranch);
        }
        catch
        {
            await merger.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new RepositoryWorkflow(runId, plan, settings, agent, providers, memory, events, time, logger, observer, merger, runBase);
    }

    /// <summary>Where the main branch stood when the run started.</summary>
    public string RunBase => _runBase;

    /// <summary>Adds the merges a resumed run made before the process stopped, so that the run's result lists them.</summary>
    public void SeedMerges(IEnumerable<MergeResult> merges)
    {
        lock (_mergesGate)
        {
            _merges.AddRange(merges);
        }
    }

    /// <summary>Every merge of this run so far, in the order they ended.</summary>
    public IReadOnlyList<MergeResult> Merges
    {
        get
        {
            lock (_mergesGate)
            {
                return [.. _merges];
            }
        }
    }

    /// <summary>Why a task's branch was rejected in review, or <see langword="null"/> when it was not: the task then
    /// ends <see cref="TaskState.Rejected"/> rather than failed.</summary>
    public string? RejectionReason(int taskIndex) => Volatile.Read(ref _rejections[taskIndex]);

    /// <summary>Whether <paramref name="lane"/> is the lane of the task that succeeded first and claimed its merge (and
    /// so stopped the task's other lanes), whatever came of the merge.</summary>
    public bool IsWinner(int taskIndex, int lane) => Volatile.Read(ref _mergeClaims[taskIndex]) == lane + 1;

    /// <summary>Where a task's workspace starts: the main branch at the run's start for a task without dependencies;
    /// the main branch now, with its dependencies merged, for the others.</summary>
    public string BaseRevisionFor(int taskIndex) =>
        _plan.Graph.Dependencies[taskIndex].Length == 0 ? _runBase : ReadMainTip(_merger.RepositoryPath, MainBranch);

    /// <summary>Wraps a new workspace so that the agent's commits are forecast against the other live branches.</summary>
    public IAgentWorkspace Track(IAgentWorkspace workspace, AgentTask task, int lane)
    {
        if (_forecaster is null || workspace.Branch is null)
        {
            return workspace;
        }

        string trackedId = TrackedId(task, lane);
        _forecaster.TrackBranch(trackedId, workspace.Branch);
        return new ForecastingWorkspace(workspace, this, trackedId);
    }

    internal async ValueTask ForecastAsync(string trackedId, string commitId, CancellationToken cancellationToken)
    {
        if (_forecaster is null)
        {
            return;
        }

        try
        {
            await _forecaster.OnCommitAsync(trackedId, commitId, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A forecast is advice; failing to make one must not fail the agent's commit.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Log.ForecastFailed(_logger, trackedId, commitId, ex);
        }
    }

    /// <summary>
    /// Ends an attempt on the git side: commits what the attempt left in its workspace (work is never lost), and for a
    /// successful attempt merges its branch into the main branch before the task counts as done. A merge that does
    /// not reach the main branch turns the attempt into a failure that says why and where the work is.
    /// </summary>
    /// <returns>The attempt's outcome, changed only when the merge failed or another lane of the task won.</returns>
    public async ValueTask<AgentOutcome?> FinishAttemptAsync(
        int taskIndex, AgentContext context, IAgentWorkspace workspace, AgentOutcome? outcome, Exception? exception,
        CancellationTokenSource? siblings, CancellationToken cancellationToken)
    {
        AgentTask task = context.Task;
        string? branch = workspace.Branch;
        if (branch is null)
        {
            return outcome;
        }

        bool succeeded = exception is null && outcome is { Succeeded: true };
        string message = succeeded
            ? $"{task.Id}: {FirstLine(outcome!.Summary) ?? "done"}"
            : $"{task.Id}: work in progress after attempt {context.Attempt} ({FirstLine(exception?.Message ?? outcome?.Error) ?? "stopped"})";
        try
        {
            // Not cancellable: a cancelled run still keeps what its agents wrote.
            if (await workspace.CommitAsync(message, CancellationToken.None).ConfigureAwait(false) is { } commit)
            {
                _observer?.WorkspaceCommitted(task, context.Attempt, context.Lane, commit);
            }
        }
#pragma warning disable CA1031 // A failed commit is reported as the attempt's failure, with the work left in place.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.CommitFailed(_logger, task.Id, context.Attempt, branch, ex);
            return succeeded
                ? AgentOutcome.Failure($"committing the work on '{branch}' failed: {ex.Message}; the files are left in {workspace.RootPath}.", usage: outcome!.Usage)
                : outcome;
        }

        // Under review the branch stays tracked until the review ends, so that the commits of re-runs are forecast too.
        bool review = _settings.Approver is not null;
        if (!review || !succeeded || cancellationToken.IsCancellationRequested)
        {
            await UntrackAsync(task, context.Lane).ConfigureAwait(false);
        }

        if (!succeeded || cancellationToken.IsCancellationRequested)
        {
            return outcome;
        }

        // With several agents on one task, only the first to succeed is merged; the others are stopped as losers.
        if (Interlocked.CompareExchange(ref _mergeClaims[taskIndex], context.Lane + 1, 0) != 0)
        {
            if (review)
            {
                await UntrackAsync(task, context.Lane).ConfigureAwait(false);
            }

            return AgentOutcome.Failure("another agent on this task succeeded first; this attempt's work stays on its branch " + branch, usage: outcome!.Usage);
        }

        if (siblings is not null)
        {
            await siblings.CancelAsync().ConfigureAwait(false);
        }

        ReviewDecision? approval = null;
        if (review)
        {
            ReviewResult reviewed;
            try
            {
                reviewed = await ReviewAsync(taskIndex, context, workspace, outcome!, branch, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await UntrackAsync(task, context.Lane).ConfigureAwait(false);
            }

            if (reviewed.Approval is null)
            {
                return reviewed.Outcome;
            }

            outcome = reviewed.Outcome;
            approval = reviewed.Approval;
        }

        MergeResult merge;
        try
        {
            merge = await _merger.MergeAsync(new MergeRequest
            {
                RunId = _runId,
                Task = task,
                Branch = branch,
                PlanPosition = _planPositions[taskIndex],
                Resolvers = _settings.Resolvers,
                RerunAgentAsync = (instructions, ct) => RerunAsync(taskIndex, branch, instructions, context.Attempt, ct),
                Memory = _memory,
                Plan = _plan,
                Review = approval,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Interlocked.Exchange(ref _mergeClaims[taskIndex], 0);
            return AgentOutcome.Failure($"merging branch '{branch}' into '{MainBranch}' failed: {ex.Message} The work stays on '{branch}'.", usage: outcome!.Usage);
        }

        Record(merge);
        _observer?.MergeEnded(task, merge);
        if (merge.ReachedMain || merge.Status == MergeStatus.Skipped)
        {
            Log.Merged(_logger, task.Id, branch, merge.Status, MainBranch, merge.Message);
            Publish(AgentEventKind.BranchMerged, task.Id, merge: merge, message: merge.Message);
            if (merge.ReachedMain && _forecaster is not null)
            {
                // The main branch moved: the live branches' forecasts against it are stale.
                await RefreshForecastsAsync(cancellationToken).ConfigureAwait(false);
            }

            return outcome;
        }

        Log.MergeFailed(_logger, task.Id, branch, MainBranch, merge.Status, merge.Message);
        Publish(AgentEventKind.MergeFailed, task.Id, merge: merge, message: merge.Message);
        string where = merge.ReportPath is null ? string.Empty : $" See {merge.ReportPath}.";
        return AgentOutcome.Failure(
            $"its work is on branch '{branch}' but did not reach '{MainBranch}' ({Describe(merge.Status)}): {merge.Message}{where}", usage: outcome!.Usage);
    }

    /// <summary>
    /// Asks the approver about the branch until it approves or rejects it; a re-run it asks for runs the agent again in
    /// the same workspace, on the same branch, with the feedback as its previous error, while attempts are left.
    /// </summary>
    /// <returns>The approval and the outcome of the work approved (the last re-run's); or no approval and the attempt's
    /// failure: rejected (the task then ends <see cref="TaskState.Rejected"/>), a failed re-run, or a failed review.</returns>
    private async ValueTask<ReviewResult> ReviewAsync(
        int taskIndex, AgentContext context, IAgentWorkspace workspace, AgentOutcome outcome, string branch, CancellationToken cancellationToken)
    {
        AgentTask task = context.Task;
        int maxAttempts = task.MaxAttempts ?? _settings.DefaultMaxAttempts;
        int attempt = context.Attempt;
        var decisions = new List<ReviewDecision>();
        for (int round = 1; ; round++)
        {
            MergeReview review;
            ReviewDecision decision;
            try
            {
                review = await PrepareReviewAsync(context, workspace, branch, attempt, round, outcome, decisions, cancellationToken).ConfigureAwait(false);
                ReviewLog.Waiting(_logger, task.Id, branch, review.HeadCommit, round);
                decision = await _settings.Approver!.ReviewAsync(review, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"{_settings.Approver.GetType().Name}.ReviewAsync returned no decision; return ReviewDecision.Approve(), Reject(reason) or Rerun(feedback).");
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                ReviewLog.Failed(_logger, task.Id, branch, ex);
                return new ReviewResult(null, AgentOutcome.Failure(
                    $"the review of branch '{branch}' failed: {ex.Message} The work stays on '{branch}'; it was not merged.", usage: outcome.Usage));
            }

            decisions.Add(decision);
            _observer?.ReviewDecided(task, branch, decision);
            ReviewLog.Decided(_logger, task.Id, branch, decision);
            if (decision.Kind == ReviewDecisionKind.Approved)
            {
                return new ReviewResult(decision, outcome);
            }

            if (decision.Kind == ReviewDecisionKind.RerunRequested && attempt < maxAttempts)
            {
                attempt = context.Attempt + Interlocked.Increment(ref _reruns[taskIndex]);
                AgentOutcome rerun = await RunAgainAsync(context, workspace, attempt, decision.Reason!, cancellationToken).ConfigureAwait(false);
                if (!rerun.Succeeded)
                {
                    // Not transient: a retry would start over from the main branch and lose the reviewer's thread.
                    return new ReviewResult(null, AgentOutcome.Failure(
                        $"the re-run asked for in review failed: {rerun.Error ?? "no reason given"} The work stays on '{branch}'.", usage: rerun.Usage));
                }

                outcome = rerun;
                continue;
            }

            string reason = decision.Kind == ReviewDecisionKind.Rejected
                ? decision.Reason!
                : $"changes were asked for after the last of the task's {maxAttempts} attempts: {decision.Reason}";
            return new ReviewResult(null, Reject(taskIndex, task, branch, reason, decision, review, outcome));
        }
    }

    private async ValueTask<MergeReview> PrepareReviewAsync(
        AgentContext context, IAgentWorkspace workspace, string branch, int attempt, int round, AgentOutcome outcome,
        List<ReviewDecision> decisions, CancellationToken cancellationToken)
    {
        AgentTask task = context.Task;
        MergeApprovalOptions options = _settings.Approval;
        ReviewDiff diff = ReviewDiff.Compute(_merger.RepositoryPath, MainBranch, branch, options.MaxDiffChars);
        var checks = new List<ReviewCheck>();
        if (options.RunChecks)
        {
            foreach (string check in task.Checks)
            {
                CommandResult result = await workspace.ExecuteAsync(
                    new CommandRequest { Command = check, Timeout = options.CheckTimeout, MaxOutputChars = options.MaxCheckOutputChars }, cancellationToken)
                    .ConfigureAwait(false);
                string output = result.TimedOut ? result.Output + $"\n(killed after {options.CheckTimeout})" : result.Output;
                checks.Add(new ReviewCheck(check, result.Succeeded, result.ExitCode, _settings.Merge.Redactor.Redact(output)));
            }
        }

        string trackedId = TrackedId(task, context.Lane);
        IReadOnlyList<ConflictForecast> forecasts = _forecaster is null
            ? []
            : [.. _forecaster.Current.Where(f => f.TaskId == trackedId || f.OtherTaskId == trackedId)];
        return new MergeReview
        {
            RunId = _runId,
            Task = task,
            Attempt = attempt,
            Round = round,
            Branch = branch,
            MainBranch = MainBranch,
            HeadCommit = diff.HeadCommit,
            BaseCommit = diff.BaseCommit,
            Diff = diff.Text,
            DiffTruncated = diff.Truncated,
            Files = diff.Files,
            Checks = checks,
            ForecastConflicts = forecasts,
            SuspectedSecrets = diff.SuspectedSecrets,
            Summary = outcome.Summary,
            PreviousDecisions = [.. decisions],
        };
    }

    /// <summary>The agent again, in the workspace the review saw, with the reviewer's feedback; its work is committed
    /// on the same branch whatever the outcome.</summary>
    private async ValueTask<AgentOutcome> RunAgainAsync(AgentContext context, IAgentWorkspace workspace, int attempt, string feedback, CancellationToken cancellationToken)
    {
        var again = new AgentContext
        {
            RunId = context.RunId,
            Task = context.Task,
            Attempt = attempt,
            Lane = context.Lane,
            Workspace = workspace,
            Memory = context.Memory,
            Dependencies = context.Dependencies,
            PreviousError = "A reviewer asked for changes before your work is merged: " + feedback,
            Logger = context.Logger,
            Progress = context.Progress,
        };
        AgentOutcome outcome;
        try
        {
            outcome = await _agent.RunAsync(again, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            outcome = AgentOutcome.Failure($"{ex.GetType().Name}: {ex.Message}");
        }

        string message = outcome.Succeeded
            ? $"{context.Task.Id}: {FirstLine(outcome.Summary) ?? "changes asked for in review"}"
            : $"{context.Task.Id}: work in progress after the re-run asked for in review ({FirstLine(outcome.Error) ?? "stopped"})";
        // Not cancellable: a cancelled run still keeps what its agents wrote.
        await workspace.CommitAsync(message, CancellationToken.None).ConfigureAwait(false);
        return outcome;
    }

    private AgentOutcome Reject(int taskIndex, AgentTask task, string branch, string reason, ReviewDecision decision, MergeReview review, AgentOutcome outcome)
    {
        string message = $"rejected in review: {reason}. The work stays on '{branch}'; it was not merged into '{MainBranch}'.";
        Volatile.Write(ref _rejections[taskIndex], message);
        MergeResult merge = _merger.Rejected(
            new MergeRequest { RunId = _runId, Task = task, Branch = branch, PlanPosition = _planPositions[taskIndex], Review = decision },
            message, review.HeadCommit, review.BaseCommit, [.. review.Files.Select(f => f.Path)]);
        Record(merge);
        _observer?.MergeEnded(task, merge);
        ReviewLog.TaskRejected(_logger, task.Id, reason);
        Publish(AgentEventKind.MergeFailed, task.Id, merge: merge, message: merge.Message);
        return AgentOutcome.Failure(message, usage: outcome.Usage);
    }

    /// <summary>How a review ended: the approval, or none and the attempt's failure.</summary>
    private readonly record struct ReviewResult(ReviewDecision? Approval, AgentOutcome Outcome);

    /// <summary>Writes the run's merge summary and releases the repository.</summary>
    public async ValueTask<string?> CompleteAsync()
    {
        IReadOnlyList<MergeResult> merges = Merges;
        string? summary = merges.Count == 0 ? null : _merger.WriteSummary(merges);
        await DisposeAsync().ConfigureAwait(false);
        return summary;
    }

    public async ValueTask DisposeAsync()
    {
        if (_forecaster is not null)
        {
            _forecaster.ConflictPredicted -= OnConflictPredicted;
            _forecaster.ConflictCleared -= OnConflictCleared;
            _forecaster.Dispose();
        }

        await _merger.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The <see cref="ConflictContext.RerunAgentAsync"/> hook: the task's agent again, in a fresh workspace
    /// from the main branch as it stands, on a branch of its own, with the resolver's instructions.</summary>
    /// <remarks>The rerun's attempt number follows the attempt whose branch conflicted, so its transcript and logs do
    /// not overwrite that attempt's.</remarks>
    private async ValueTask<WorkspaceCommit?> RerunAsync(int taskIndex, string branch, string instructions, int conflictedAttempt, CancellationToken cancellationToken)
    {
        IIsolationProvider? provider = _providers[taskIndex];
        if (provider is null)
        {
            return null;
        }

        AgentTask task = _plan.Tasks[taskIndex].Copy(instructions: instructions);
        int rerun = Interlocked.Increment(ref _reruns[taskIndex]);
        int attempt = conflictedAttempt + rerun;
        string mainTip = ReadMainTip(_merger.RepositoryPath, MainBranch);
        var request = new WorkspaceRequest
        {
            RunId = _runId,
            Task = task,
            BaseRevision = mainTip,
            Branch = string.Create(CultureInfo.InvariantCulture, $"{branch}-rerun-{rerun}"),
        };
        IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(request, cancellationToken).ConfigureAwait(false);
        await using (workspace.ConfigureAwait(false))
        {
            if (await WorkspaceSetup.RunAsync(workspace, _plan.Setup, task, attempt, _logger, cancellationToken).ConfigureAwait(false) is not null)
            {
                return null;
            }

            AgentOutcome outcome = await _agent.RunAsync(new AgentContext
            {
                RunId = _runId,
                Task = task,
                Attempt = attempt,
                Workspace = workspace,
                Memory = _memory,
                Logger = _logger,
                Progress = _observer is null ? NoAgentProgress.Instance : new AttemptProgress(_observer, task, attempt, 0),
            }, cancellationToken).ConfigureAwait(false);
            WorkspaceCommit? last = await workspace.CommitAsync($"{task.Id}: redone on {MainBranch} to resolve a merge conflict", CancellationToken.None)
                .ConfigureAwait(false);
            if (!outcome.Succeeded || workspace.Branch is null)
            {
                return null;
            }

            // The agent may have committed on its own; what counts is where its branch ended, if it moved at all.
            return last ?? BranchCommit(workspace.Branch, mainTip);
        }
    }

    private WorkspaceCommit? BranchCommit(string branch, string since)
    {
        using var repository = new Repository(_merger.RepositoryPath);
        Commit? tip = repository.Branches[branch]?.Tip;
        if (tip is null || tip.Sha == since)
        {
            return null;
        }

        Commit? start = repository.Lookup<Commit>(since);
        var changes = repository.Diff.Compare<TreeChanges>(start?.Tree, tip.Tree);
        return new WorkspaceCommit { CommitId = tip.Sha, Branch = branch, ChangedFiles = [.. changes.Select(c => c.Path)] };
    }

    private async ValueTask UntrackAsync(AgentTask task, int lane)
    {
        if (_forecaster is not null)
        {
            await _forecaster.UntrackBranchAsync(TrackedId(task, lane), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async ValueTask RefreshForecastsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _forecaster!.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A forecast is advice; the merge already happened.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Log.ForecastFailed(_logger, "(all)", MainBranch, ex);
        }
    }

    private void Record(MergeResult merge)
    {
        lock (_mergesGate)
        {
            _merges.Add(merge);
        }
    }

    private void OnConflictPredicted(object? sender, ConflictForecast forecast)
    {
        Log.ConflictPredicted(_logger, forecast.TaskId, forecast.OtherTaskId ?? MainBranch, string.Join(", ", forecast.Conflicts.Select(c => c.Path)));
        _observer?.ConflictForecast(forecast, cleared: false);
        Publish(AgentEventKind.ConflictPredicted, forecast.TaskId, forecast: forecast, message: forecast.ToString());
    }

    private void OnConflictCleared(object? sender, ConflictForecast forecast)
    {
        _observer?.ConflictForecast(forecast, cleared: true);
        Publish(AgentEventKind.ConflictCleared, forecast.TaskId, forecast: forecast, message: forecast.ToString());
    }

    private void Publish(AgentEventKind kind, string taskId, MergeResult? merge = null, ConflictForecast? forecast = null, string? message = null)
    {
        if (!_events.HasWatchers)
        {
            return;
        }

        _events.Publish(new AgentEvent
        {
            Kind = kind,
            RunId = _runId,
            Timestamp = _time.GetUtcNow(),
            TaskId = taskId,
            Message = message,
            Merge = merge,
            Forecast = forecast,
        });
    }

    // Lanes are named as their branches are (agent/x+2): '+' cannot appear in a task id, so no lane is taken for another task.
    private static string TrackedId(AgentTask task, int lane) =>
        task.AgentCount == 1 ? task.Id : string.Create(CultureInfo.InvariantCulture, $"{task.Id}+{lane + 1}");

    private static string Describe(MergeStatus status) => status switch
    {
        MergeStatus.Conflict => "an unresolved conflict",
        MergeStatus.VerifyFailed => "the plan's verify commands failed on the merged tree",
        _ => status.ToString(),
    };

    private static string? FirstLine(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        string line = text.AsSpan().Trim().ToString();
        int newline = line.IndexOf('\n', StringComparison.Ordinal);
        line = newline < 0 ? line : line[..newline].TrimEnd();
        return line.Length <= 200 ? line : line[..200] + "…";
    }

    private static string ReadMainTip(string repositoryPath, string mainBranch)
    {
        using var repository = new Repository(repositoryPath);
        return repository.Branches[mainBranch]?.Tip?.Sha
            ?? throw new InvalidOperationException(
                $"The repository at '{repositoryPath}' has no branch '{mainBranch}' with a commit; make a first commit on it, or name the main branch with UseRepository(path, mainBranch).");
    }
}
