using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>
/// One run of a plan. Ready attempts wait in a <see cref="ReadyQueue"/>, best first; <see cref="AgentEngineOptions.MaxParallelAgents"/>
/// workers take from it, so no more agents than that ever run at once. When a task ends, the worker that ended it
/// releases its dependents (an atomic countdown of unfinished dependencies) or skips them, without a central loop
/// in between. A worker whose agent completed synchronously takes its next attempt without a thread-pool hop, and
/// after short ones takes several at once (see <see cref="WorkerState"/>), so the hot path takes the queue's lock
/// once per several attempts.
/// </summary>
internal sealed partial class RunExecution : IAttemptSource
{
    private readonly TaskPlan _plan;
    private readonly AgentEngineOptions _options;
    private readonly IAgent _agent;
    private readonly IIsolationProvider?[]? _providers;
    private readonly ISharedMemory? _memory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // False for the engine's NullLogger (no logging configured): the hot path then skips even asking whether a level
    // is enabled, an interface call per question.
    private readonly bool _logs;
    private readonly EventHub _events;
    private readonly TaskStates _tasks;
    private readonly RepositorySettings? _repository;
    private readonly RunObserver? _observer;
    private RepositoryWorkflow? _workflow;
    private readonly RunJournal? _journal;
    private readonly RunJournalState? _resume;
    private readonly int[]? _attemptOffsets;
    private CancellationToken _runToken;
    private const string CancelledWhileRetrying = "the run was cancelled while the task waited to retry";

    private readonly ReadyQueue _ready;

    // What every attempt's context shares (see AgentContext).
    private readonly AgentContextRun _contextRun;

    // For each task, its dependencies not yet succeeded, decremented atomically; the task is ready at zero. An array
    // beside the tasks rather than a field of each: a task that ends touches only this for each dependent.
    private readonly int[] _pending;
    private readonly int[] _releaseList;
    private readonly int[] _releaseStarts;
    private readonly TaskTraits[] _traits;

    // The run's one wall-clock reading; attempt times are derived from it and the monotonic clock (see WallClockAt).
    private DateTimeOffset _anchorTime;
    private long _anchorTimestamp;

    // TimeSpan ticks per TimeProvider timestamp tick, as TimeProvider.GetElapsedTime computes it on every call.
    private readonly double _tickFactor;

    // Whether an attempt may start at its worker's last clock reading (see WorkerState.LastReading): only when nothing
    // of the host's (a logger, an observer) runs between an attempt's end and the next one's start.
    private readonly bool _reuseReadings;

    public RunExecution(
        string runId,
        TaskPlan plan,
        AgentEngineOptions options,
        IAgent agent,
        IIsolationProvider?[]? providers,
        ISharedMemory? memory,
        TimeProvider timeProvider,
        ILogger logger,
        EventHub events,
        RepositorySettings? repository = null,
        RunObserver? observer = null,
        RunJournal? journal = null,
        RunJournalState? resume = null)
    {
        _repository = repository;
        _observer = observer;
        RunId = runId;
        _plan = plan;
        _options = options;
        _agent = agent;
        _providers = providers;
        _memory = memory;
        _time = timeProvider;
        _tickFactor = (double)TimeSpan.TicksPerSecond / timeProvider.TimestampFrequency;
        _logger = logger;
        _logs = logger is not Microsoft.Extensions.Logging.Abstractions.NullLogger;
        _reuseReadings = !_logs && observer is null or EngineRunObserver { HasOthers: false };
        _events = events;
        _journal = journal;
        _resume = resume;
        if (resume is not null)
        {
            // A resumed task's attempts number on from those it started before, with a fresh retry budget.
            _attemptOffsets = [.. resume.Tasks.Select(t => t.AttemptsStarted)];
        }

        _pending = (int[])plan.Graph.DependencyCounts.Clone();
        _releaseList = plan.Graph.ReleaseList;
        _releaseStarts = plan.Graph.ReleaseStarts;
        _traits = plan.Graph.Traits;
        _tasks = new TaskStates(plan, options.Retry.MaxAttempts, _attemptOffsets);

        int ended = resume is null ? 0 : SeedFromJournal(resume);
        _ready = new ReadyQueue(plan.Graph.Rank, capacity: 16, unfinished: _tasks.Length - ended);
        _contextRun = new AgentContextRun(runId, memory, logger, this);
    }

    public string RunId { get; }

    public async Task<RunResult> RunAsync(CancellationToken cancellationToken)
    {
        if (_repository is not null)
        {
            _workflow = await RepositoryWorkflow.StartAsync(RunId, _plan, _repository, _agent, _providers ?? new IIsolationProvider?[_tasks.Length], _memory, _events, _time, _logger, _observer,
                    _resume?.BaseRevision, cancellationToken)
                .ConfigureAwait(false);
            if (_resume is not null)
            {
                _workflow.SeedMerges(_resume.Tasks.Select(t => t.Merge).OfType<MergeResult>());
            }
        }

        BeginJournal();

        try
        {
            return await RunCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (_workflow is not null)
            {
                await _workflow.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<RunResult> RunCoreAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset startedAt = _time.GetUtcNow();
        _anchorTime = startedAt;
        _anchorTimestamp = _time.GetTimestamp();
        Log.RunStarted(_logger, RunId, _tasks.Length, _options.MaxParallelAgents);
        if (_observer is EngineRunObserver engineObserver)
        {
            // The engine's live status reads part of what it shows from the task states.
            engineObserver.RunStarted(RunId, _plan, startedAt, _tasks);
        }
        else
        {
            _observer?.RunStarted(RunId, _plan, startedAt);
        }
        Publish(AgentEventKind.RunStarted, null, message: $"{_tasks.Length} tasks, at most {_options.MaxParallelAgents} agents at once");

        using var runCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        CancellationToken runToken = runCts.Token;
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _runToken = runToken;
        using CancellationTokenRegistration onCancel = runToken.Register(() =>
        {
            // Queued attempts are drained as cancelled; no new attempt starts.
            _ready.Complete();
            CancelAttemptControls();
            cancelled.TrySetResult();
        });

        SkipAfterResume();
        foreach (int index in _plan.Graph.TopologicalOrder)
        {
            // Every dependency of a resumed run's task may have succeeded before: it is ready although it has some.
            if (Volatile.Read(ref _pending[index]) == 0)
            {
                Enqueue(index);
            }
        }

        // As many workers start as the machine has processors; the others start parked and are woken when an attempt
        // goes asynchronous or the running workers stall (see ReadyQueue), so a plan of short synchronous attempts is
        // not fought over by more workers than can run at once. Each running worker takes several short attempts at a
        // time (see WorkerState.Want), so they do not fight over the queue either.
        var workers = new Task[_options.MaxParallelAgents];
        var states = new WorkerState[workers.Length];
        for (int i = 0; i < states.Length; i++)
        {
            states[i] = new WorkerState();
        }

        _ready.SetWorkers(states);
        int running = Math.Min(workers.Length, Environment.ProcessorCount);
        _ready.AddParked(workers.Length - running);
        for (int i = running; i < workers.Length; i++)
        {
            workers[i] = WorkerLoopAsync(states[i], startParked: true, runToken);
        }

        for (int i = 0; i < running; i++)
        {
            WorkerState state = states[i];
            workers[i] = Task.Run(() => WorkerLoopAsync(state, startParked: false, runToken), CancellationToken.None);
        }

        Task allWorkers = Task.WhenAll(workers);
        bool agentsStopped = true;
        if (await Task.WhenAny(allWorkers, cancelled.Task).ConfigureAwait(false) != allWorkers)
        {
            Task grace = Task.Delay(_options.CancellationGracePeriod, _time, CancellationToken.None);
            agentsStopped = await Task.WhenAny(allWorkers, grace).ConfigureAwait(false) == allWorkers;
        }

        if (allWorkers.IsCompleted)
        {
            // Workers catch every agent failure; a fault here is a bug in the engine and must not be hidden.
            await allWorkers.ConfigureAwait(false);
        }

        bool wasCancelled = runToken.IsCancellationRequested;
        int abandoned = FinalizeLeftovers(wasCancelled);
        if (!agentsStopped)
        {
            Log.AgentsDidNotStop(_logger, RunId, abandoned, _options.CancellationGracePeriod);
        }

        string? mergeSummary = _workflow is null ? null : await _workflow.CompleteAsync().ConfigureAwait(false);
        var result = new RunResult
        {
            RunId = RunId,
            Merges = _workflow?.Merges ?? [],
            MergeSummaryPath = mergeSummary,
            // Results are built as they are read, once nothing can change them; an agent that did not stop could
            // still add an attempt, so then they are built now.
            Tasks = agentsStopped ? new TaskResultList(_tasks) : [.. _tasks.Select(t => t.ToResult())],
            StartedAt = startedAt,
            CompletedAt = _time.GetUtcNow(),
            WasCancelled = wasCancelled,
        };
        if (_logs && _logger.IsEnabled(LogLevel.Information))
        {
            Log.RunCompleted(_logger, RunId, result.Duration, result.Count(TaskState.Succeeded), result.Count(TaskState.Failed),
                result.Count(TaskState.Skipped), result.Count(TaskState.Cancelled));
        }
        _observer?.RunEnded(result);
        Publish(AgentEventKind.RunCompleted, null, result: result);
        return result;
    }

    private async Task WorkerLoopAsync(WorkerState worker, bool startParked, CancellationToken runToken)
    {
        WorkItem item = default;
        ReadyQueue.Take take = startParked ? ReadyQueue.Take.Parked : _ready.TryTake(out item);
        item = item with { ReadyAt = worker.Readings };
        while (true)
        {
            switch (take)
            {
                case ReadyQueue.Take.Taken:
                    // An attempt whose agent completed synchronously ends on this thread, and the loop goes on to the
                    // next attempt without a thread-pool hop. One that goes asynchronous ties this worker to it, so
                    // what the worker holds goes back to the queue and the attempts waiting there wake parked workers.
                    // The attempt writes what it releases and ends into the worker's Released and Finished, from
                    // whatever thread it ends on; the loop keeps its own in Held and HeldFinished, so that it can
                    // give them back while an attempt that went asynchronous may be writing. (Released is empty here:
                    // every way into this case passed a Hold after the worker's last attempt.)
                    try
                    {
                        Task? rest = StartAttempt(item, worker, runToken);
                        if (rest is not null)
                        {
                            if (!rest.IsCompleted)
                            {
                                worker.Want = 1;
                                _ready.Return(worker.Held, worker.ClaimAhead(), worker.HeldFinished);
                                worker.GaveHeld();
                                worker.HeldFinished = 0;
                            }

                            await rest.ConfigureAwait(false);

                            // The attempt's end was read before the wait for this worker's flow to resume.
                            worker.ReadingIsRecent = false;
                        }
                    }
                    catch
                    {
                        // Only a bug in the engine gets here, and it faults this worker; what its attempts released
                        // and ended, and what it took ahead, still goes to the others.
                        worker.Hold(_ready);
                        _ready.Return(worker.Held, worker.ClaimAhead(), worker.HeldFinished);
                        worker.GaveHeld();
                        throw;
                    }

                    worker.Hold(_ready);

                    // Short synchronous attempts: take more at once next time; a long one: one at a time.
                    worker.Want = worker.LastWasShort ? Math.Min(worker.Want * 2, WorkerState.MaxAhead) : 1;
                    if (worker.TryNextLocal(_ready, out item))
                    {
                        break;
                    }

                    // Attempts still held (a long attempt brought the worker back early) go back with the released.
                    foreach (WorkItem ahead in worker.ClaimAhead())
                    {
                        worker.AddHeld(_ready, ahead with { ReadyAt = worker.TakenAt });
                    }

                    // The best held attempt, when the queue has none better, comes straight back: it stays the worker's
                    // since it became so (see WorkerState.LastReading); any other became the worker's at this take.
                    bool held = worker.TryBestHeld(out WorkItem best);
                    take = _ready.TryAddAndTake(worker.Held, worker.HeldFinished, out item, worker, worker.Want - 1);
                    worker.GaveHeld();
                    worker.TakenAt = worker.Readings;
                    item = item with { ReadyAt = held && best.IsSameAttempt(item) ? best.ReadyAt : worker.Readings };
                    worker.LocalRun = 0;
                    worker.HeldFinished = 0;
                    break;
                case ReadyQueue.Take.Parked:
                    await _ready.WaitAsync().ConfigureAwait(false);
                    take = _ready.TryTake(out item);
                    worker.ReadingIsRecent = false;
                    item = item with { ReadyAt = worker.Readings };
                    break;
                default:
                    return;
            }
        }
    }

    /// <param name="item">The attempt.</param>
    /// <param name="worker">The worker running it: receives the dependents this attempt makes ready and the tasks it ends.</param>
    /// <param name="runToken">The run's cancellation.</param>
    private async Task ExecuteAsync(WorkItem item, WorkerState worker, CancellationToken runToken)
    {
        TaskRuntime runtime = _tasks[item.TaskIndex];
        if (runtime.IsFinal)
        {
            return;
        }

        if (runToken.IsCancellationRequested)
        {
            LaneCancelled(runtime, "the run was cancelled before this attempt started", worker);
            return;
        }

        AgentTask task = runtime.Task;
        long startedTimestamp = _time.GetTimestamp();
        worker.Read(startedTimestamp);
        DateTimeOffset startedAt = WallClockAt(startedTimestamp);
        runtime.Begin(startedAt);

        // Only attempts that can be stopped by something other than the run pay for a linked token. The timeout's
        // clock starts before the start is announced, so a watcher that reacts to the event sees it running.
        CancellationTokenSource? timeoutCts = task.Timeout is { } timeout ? new CancellationTokenSource(timeout, _time) : null;
        CancellationTokenSource control = BeginControl(item, runtime, runToken);
        CancellationTokenSource? attemptCts = runtime.Siblings is not null || timeoutCts is not null
            ? CancellationTokenSource.CreateLinkedTokenSource(control.Token, runtime.Siblings?.Token ?? default, timeoutCts?.Token ?? default)
            : null;
        CancellationToken token = attemptCts?.Token ?? control.Token;
        // Every line logged while the attempt runs (its workspace, setup, agent, commit, merge and cleanup) carries the
        // task. A logger that writes nothing at any level has no use for a scope; skipping it keeps the hot path lean.
        IDisposable? scope = _logs && _logger.IsEnabled(LogLevel.Critical) ? _logger.BeginScope(new AttemptScope(RunId, task.Id, item.Attempt, item.Lane)) : null;
        Log.AttemptStarted(_logger, task.Id, item.Attempt, item.Lane);
        _observer?.AttemptStarted(RunId, task, item.TaskIndex, item.Attempt, item.Lane, startedAt);
        Publish(AgentEventKind.TaskStarted, runtime, item, TaskState.Running);

        AgentOutcome? outcome = null;
        Exception? exception = null;
        IAgentWorkspace? workspace = null;
        AgentContext? context = null;
        try
        {
            IIsolationProvider? provider = _providers?[item.TaskIndex];
            if (provider is not null)
            {
                workspace = await provider.CreateWorkspaceAsync(
                    new WorkspaceRequest
                    {
                        RunId = RunId,
                        Task = task,
                        Attempt = item.Attempt,
                        Lane = item.Lane,
                        BaseRevision = _workflow?.BaseRevisionFor(item.TaskIndex),
                    }, token).ConfigureAwait(false);
                workspace = _workflow?.Track(workspace, task, item.Lane) ?? workspace;
                _observer?.WorkspaceReady(task, item.Lane, workspace, _time.GetElapsedTime(startedTimestamp));
            }

            context = NewContext(item, task, workspace);
            string? setupError = workspace is null || _plan.Setup.Count == 0
                ? null
                : await WorkspaceSetup.RunAsync(workspace, _plan.Setup, task, item.Attempt, _logger, token).ConfigureAwait(false);
            outcome = setupError is null
                ? await _agent.RunAsync(context, token).ConfigureAwait(false)
                : AgentOutcome.Failure(setupError);

            if (_workflow is not null && workspace is not null)
            {
                // The run's token, not the attempt's: the merge outlives the task's timeout, and a winning lane cancels
                // its siblings' shared token before it merges.
                outcome = await _workflow.FinishAttemptAsync(item.TaskIndex, context, workspace, outcome, null, runtime.Siblings, runToken)
                    .ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // An agent's failure of any kind must stay inside its task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            exception = ex;
            if (_workflow is not null && workspace is not null && context is not null)
            {
                // The agent threw: what it wrote is still committed on its branch.
                await _workflow.FinishAttemptAsync(item.TaskIndex, context, workspace, null, ex, runtime.Siblings, runToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (workspace is not null)
            {
                await DisposeWorkspaceAsync(workspace, task, item).ConfigureAwait(false);
            }

            // What follows (retry, success, failure) is logged with the task's id in the message; a failure also skips
            // the dependents, whose lines must not carry this task in their scope.
            scope?.Dispose();
        }

        EndAttempt(runtime, item, startedTimestamp, startedAt, outcome, exception, timeoutCts, attemptCts, worker, runToken);
    }

    /// <summary>Starts an attempt and, when its agent completes synchronously, ends it on this thread.</summary>
    /// <returns><see langword="null"/> when the attempt has ended; otherwise the rest of it.</returns>
    /// <remarks>An attempt that needs only its agent (no workspace, repository, timeout or sibling agents: every
    /// attempt of a plan without isolation) skips <see cref="ExecuteAsync"/>'s state machine, and pays for one only
    /// when its agent goes asynchronous.</remarks>
    private Task? StartAttempt(WorkItem item, WorkerState worker, CancellationToken runToken)
    {
        TaskRuntime runtime = _tasks[item.TaskIndex];
        AgentTask task = runtime.Task;
        if (runtime.IsFinal || runToken.IsCancellationRequested || _workflow is not null || _providers?[item.TaskIndex] is not null
            || runtime.HasTimeout || runtime.Lanes != 1)
        {
            return ExecuteAsync(item, worker, runToken);
        }

        // A task never starts before its dependencies end: the worker's last reading serves only when it was taken after
        // the attempt became the worker's (see WorkerState.LastReading); otherwise the clock is read now.
        long startedTimestamp;
        if (_reuseReadings && worker.CanStartAtLastReading(item))
        {
            startedTimestamp = worker.LastReading;
        }
        else
        {
            startedTimestamp = _time.GetTimestamp();
            worker.Read(startedTimestamp);
        }

        DateTimeOffset startedAt = WallClockAt(startedTimestamp);
        runtime.Begin(startedAt);
        // Guarded here, not only inside: the task's id is read before the call, and reading the task is a cache miss a
        // run that logs nothing at this level need not pay.
        if (_logs && _logger.IsEnabled(LogLevel.Debug))
        {
            Log.AttemptStarted(_logger, task.Id, item.Attempt, item.Lane);
        }

        _observer?.AttemptStarted(RunId, task, item.TaskIndex, item.Attempt, item.Lane, startedAt);
        if (_events.HasWatchers)
        {
            // Checked here as well: the event's arguments (two nullable structs) would otherwise be copied even when
            // nobody watches.
            Publish(AgentEventKind.TaskStarted, runtime, item, TaskState.Running);
        }

        AgentContext context = NewContext(item, task, workspace: null);
        // RestartTaskAsync and CancelTaskAsync stop an attempt through its control token, so the fast path takes one too.
        CancellationToken token = BeginControl(item, runtime, runToken, worker).Token;
        ValueTask<AgentOutcome> running;

        // The scope only needs to hold while the agent is called: an agent that goes asynchronous carries it in the
        // execution context it captured, as it did inside ExecuteAsync's using block.
        IDisposable? scope = _logs && _logger.IsEnabled(LogLevel.Critical) ? _logger.BeginScope(new AttemptScope(RunId, task.Id, item.Attempt, item.Lane)) : null;
        try
        {
            running = _agent.RunAsync(context, token);
        }
#pragma warning disable CA1031 // An agent's failure of any kind must stay inside its task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            EndAttempt(runtime, item, startedTimestamp, startedAt, null, ex, null, null, worker, runToken);
            return null;
        }
        finally
        {
            scope?.Dispose();
        }

        if (!running.IsCompleted)
        {
            return EndAttemptAfterAsync(running, runtime, item, startedTimestamp, startedAt, worker, runToken);
        }

        AgentOutcome? outcome = null;
        Exception? exception = null;
        try
        {
            outcome = running.Result;
        }
#pragma warning disable CA1031 // An agent's failure of any kind must stay inside its task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            exception = ex;
        }

        EndAttempt(runtime, item, startedTimestamp, startedAt, outcome, exception, null, null, worker, runToken);
        return null;
    }

    private async Task EndAttemptAfterAsync(
        ValueTask<AgentOutcome> running, TaskRuntime runtime, WorkItem item, long startedTimestamp, DateTimeOffset startedAt,
        WorkerState worker, CancellationToken runToken)
    {
        AgentOutcome? outcome = null;
        Exception? exception = null;
        try
        {
            outcome = await running.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // An agent's failure of any kind must stay inside its task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            exception = ex;
        }

        EndAttempt(runtime, item, startedTimestamp, startedAt, outcome, exception, null, null, worker, runToken);
    }

    private AgentContext NewContext(WorkItem item, AgentTask task, IAgentWorkspace? workspace) => new(_contextRun, task, item.TaskIndex)
    {
        Attempt = item.Attempt,
        Lane = item.Lane,
        Workspace = workspace,
        PreviousError = item.PreviousError,
    };

    IReadOnlyList<TaskResult> IAttemptSource.DependenciesOf(int taskIndex) => DependencyResults(taskIndex);

    IProgress<AgentProgress> IAttemptSource.ProgressOf(AgentTask task, int attempt, int lane) =>
        _observer is null ? NoAgentProgress.Instance : new AttemptProgress(_observer, task, attempt, lane);

    /// <summary>Classifies and records an attempt whose agent has returned or thrown, and ends its task or retries it.</summary>
    private void EndAttempt(
        TaskRuntime runtime, WorkItem item, long startedTimestamp, DateTimeOffset startedAt, AgentOutcome? outcome, Exception? exception,
        CancellationTokenSource? timeoutCts, CancellationTokenSource? attemptCts, WorkerState worker, CancellationToken runToken)
    {
        AgentTask task = runtime.Task;
        (AttemptStatus status, string? error, bool transient) = Classify(outcome, exception, task, runtime, item.Lane, timeoutCts, runToken);
        // Only an attempt that began its control with the worker's source (no links, no timer) hands it back.
        TaskControlRequest? request = EndControl(item, runtime, ref status, ref error, ref transient, attemptCts is null && timeoutCts is null ? worker : null);
        attemptCts?.Dispose();
        timeoutCts?.Dispose();

        // Attempt times come from the monotonic clock, which is cheaper than the wall clock and cannot jump backwards.
        long endedTimestamp = _time.GetTimestamp();
        worker.Read(endedTimestamp);
        TimeSpan duration = Elapsed(startedTimestamp, endedTimestamp);
        worker.LastWasShort = duration < WorkerState.ShortAttempt;
        DateTimeOffset endedAt = startedAt + duration;
        RecordAttempt(runtime, item, status, startedAt, duration, error, transient, exception, outcome);
        _observer?.AttemptEnded(task, item.TaskIndex, item.Attempt, item.Lane, status, duration, error, outcome?.Usage);

        switch (status)
        {
            case AttemptStatus.Succeeded:
                TaskSucceeded(runtime, item, outcome!.Summary, endedAt, worker);
                break;
            case AttemptStatus.Cancelled when request?.Restart == true:
                RestartLane(runtime, item, worker, runToken);
                break;
            case AttemptStatus.Cancelled:
                LaneCancelled(runtime, error!, worker);
                break;
            default:
                if (transient && item.Attempt < runtime.MaxAttempts && !runToken.IsCancellationRequested)
                {
                    ScheduleRetry(runtime, item, error!, exception, runToken);
                }
                else
                {
                    LaneFailed(runtime, item, error!, exception, endedAt, worker);
                }

                break;
        }

        request?.Done.TrySetResult();
    }

    private static void RecordAttempt(
        TaskRuntime runtime, WorkItem item, AttemptStatus status, DateTimeOffset startedAt, TimeSpan duration, string? error,
        bool transient, Exception? exception, AgentOutcome? outcome)
    {
        // The lazily built record of a lone first success has no room for usage; an attempt that reports usage keeps a full record.
        if (status == AttemptStatus.Succeeded && outcome?.Usage is null && runtime.TryRecordSoloSuccess(item.Attempt, item.Lane, duration))
        {
            return;
        }

        runtime.AddAttempt(new AttemptResult
        {
            Attempt = item.Attempt,
            Lane = item.Lane,
            Status = status,
            StartedAt = startedAt,
            Duration = duration,
            Error = error,
            IsTransient = transient,
            Exception = exception,
            Summary = status == AttemptStatus.Succeeded ? outcome!.Summary : null,
            Usage = outcome?.Usage,
        });
    }

    /// <summary>The wall-clock time of a <see cref="TimeProvider.GetTimestamp"/> reading of this run.</summary>
    /// <remarks>One wall-clock reading per run instead of one per attempt: a system clock adjusted during the run
    /// shifts no attempt's times, and attempts stay in the order they ran.</remarks>
    private DateTimeOffset WallClockAt(long timestamp) => _anchorTime + Elapsed(_anchorTimestamp, timestamp);

    /// <summary>What <see cref="TimeProvider.GetElapsedTime(long, long)"/> returns, with the provider's frequency read
    /// once per run instead of divided by on every call.</summary>
    private TimeSpan Elapsed(long startingTimestamp, long endingTimestamp) =>
        new((long)((endingTimestamp - startingTimestamp) * _tickFactor));

    private (AttemptStatus Status, string? Error, bool Transient) Classify(
        AgentOutcome? outcome, Exception? exception, AgentTask task, TaskRuntime runtime, int lane, CancellationTokenSource? timeoutCts, CancellationToken runToken) =>
        exception is null && outcome is { Succeeded: true }
            ? (AttemptStatus.Succeeded, null, false)
            : ClassifyUnsuccessful(outcome, exception, task, runtime, lane, timeoutCts, runToken);

    // Kept out of line (as are the other paths of an attempt that did not succeed), so that the common path through
    // EndAttempt stays small enough for the compiler to keep its values in registers.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private (AttemptStatus Status, string? Error, bool Transient) ClassifyUnsuccessful(
        AgentOutcome? outcome, Exception? exception, AgentTask task, TaskRuntime runtime, int lane, CancellationTokenSource? timeoutCts, CancellationToken runToken)
    {
        // Whatever the agent said, an attempt that ended after the engine stopped it is reported for why it was stopped.
        if (runToken.IsCancellationRequested)
        {
            return (AttemptStatus.Cancelled, "cancelled with the run", false);
        }

        // The lane that won stopped the others; it is judged on its own outcome (its merge may have failed).
        if (runtime.Siblings?.IsCancellationRequested == true && _workflow?.IsWinner(runtime.Index, lane) != true)
        {
            return (AttemptStatus.Cancelled, "another agent on this task succeeded first", false);
        }

        if (timeoutCts?.IsCancellationRequested == true)
        {
            return (AttemptStatus.TimedOut, $"the attempt timed out after {task.Timeout}", true);
        }

        if (exception is not null)
        {
            return (AttemptStatus.Failed, $"{exception.GetType().Name}: {exception.Message}", _options.Retry.IsTransient(exception));
        }

        return outcome is null
            ? (AttemptStatus.Failed, "the agent returned no outcome", false)
            : (AttemptStatus.Failed, outcome.Error ?? "the agent reported failure", outcome.IsTransient);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ScheduleRetry(TaskRuntime runtime, WorkItem item, string error, Exception? exception, CancellationToken runToken)
    {
        TimeSpan delay = _options.Retry.DelayBefore(item.Attempt + 1);
        runtime.SetState(TaskState.Retrying);

        // The backoff waits off the workers, so a retrying task does not hold an agent slot. Its timer starts
        // before the retry is announced, so a watcher that reacts to the event finds it already counting.
        Task backoff = delay > TimeSpan.Zero ? Task.Delay(delay, _time, runToken) : Task.CompletedTask;
        Log.Retrying(_logger, runtime.Task.Id, item.Attempt, delay, error, exception);
        Publish(AgentEventKind.TaskRetrying, runtime, item, TaskState.Retrying, error, delay);
        _ = RequeueAfterAsync(runtime, item with { Attempt = item.Attempt + 1, PreviousError = error }, backoff);
    }

    private async Task RequeueAfterAsync(TaskRuntime runtime, WorkItem next, Task backoff)
    {
        try
        {
            await backoff.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LaneCancelled(runtime, CancelledWhileRetrying);
            return;
        }

        if (runtime.IsFinal)
        {
            return;
        }

        runtime.SetState(TaskState.Queued);
        if (!_ready.TryAdd(next))
        {
            LaneCancelled(runtime, CancelledWhileRetrying);
        }
    }

    /// <param name="index">The task that became ready.</param>
    /// <param name="released">Where a worker collects the attempts it released, or <see langword="null"/> to add them
    /// to the ready queue now.</param>
    /// <param name="readyAt">For <paramref name="released"/>, the attempts' <see cref="WorkItem.ReadyAt"/>.</param>
    private void Enqueue(int index, List<WorkItem>? released = null, int readyAt = 0)
    {
        // The task's state is not read or written here, only by the worker that takes its attempt: a task that ends
        // often makes one ready that another worker runs, and the line it would write there is that worker's next
        // read. A task cancelled while it waited (CancelTask) is dropped when its attempt is taken.
        if (_events.HasWatchers)
        {
            TaskRuntime runtime = _tasks[index];
            if (runtime.IsFinal)
            {
                return;
            }

            Publish(AgentEventKind.TaskQueued, runtime, state: TaskState.Queued);
        }

        int lanes = _traits[index].Lanes;
        int attempt = _attemptOffsets is null ? 1 : _attemptOffsets[index] + 1;
        for (int lane = 0; lane < lanes; lane++)
        {
            // Fails only when the run was cancelled; the leftovers are then finalized as cancelled.
            var item = new WorkItem(index, lane, attempt, null) { ReadyAt = readyAt };
            if (released is null)
            {
                _ready.TryAdd(item);
            }
            else
            {
                released.Add(item);
            }
        }
    }

    /// <summary>A dependent whose dependencies have all succeeded: its attempts go to the worker, which runs them or
    /// gives them to the queue with its next take.</summary>
    /// <param name="dependent">The task.</param>
    /// <param name="worker">The worker that ended its last dependency.</param>
    /// <param name="readyAt">Its attempts' <see cref="WorkItem.ReadyAt"/>.</param>
    private void Release(int dependent, WorkerState worker, int readyAt)
    {
        // The task's cell was made at the start of the run and is read next by the attempt that starts it, likely soon
        // and on this worker: fetched now, that first read does not wait for memory.
        _tasks[dependent].Prefetch();
        Enqueue(dependent, worker.Released, readyAt);
    }

    private void TaskSucceeded(TaskRuntime runtime, WorkItem item, string? summary, DateTimeOffset now, WorkerState worker)
    {
        if (!runtime.TryFinalize(TaskState.Succeeded, null, summary, now))
        {
            return;
        }

        runtime.Siblings?.CancelAsync();
        _observer?.TaskEnded(runtime.Task, runtime.Index, TaskState.Succeeded, null, now);
        if (_logs && _logger.IsEnabled(LogLevel.Information))
        {
            Log.TaskSucceeded(_logger, runtime.Task.Id, item.Attempt, item.Lane);
        }

        if (_events.HasWatchers)
        {
            Publish(AgentEventKind.TaskSucceeded, runtime, item, TaskState.Succeeded, summary);
        }
        // A dependent with no other dependency (stored complemented) is ready now; the others when their countdown of
        // unfinished dependencies reaches zero, counted down by whichever workers end them.
        int[] releases = _releaseList;
        for (int r = _releaseStarts[runtime.Index], end = _releaseStarts[runtime.Index + 1]; r < end; r++)
        {
            int dependent = releases[r];
            if (dependent < 0)
            {
                // Its only dependency is the task that just ended: it may start at that end, the worker's last reading.
                Release(~dependent, worker, worker.Readings - 1);
            }
            else if (Interlocked.Decrement(ref _pending[dependent]) == 0)
            {
                // Another dependency may have ended on another worker after this one's end was read: a later reading.
                Release(dependent, worker, worker.Readings);
            }
        }

        TaskFinished(worker);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LaneFailed(TaskRuntime runtime, WorkItem item, string error, Exception? exception, DateTimeOffset now, WorkerState? worker)
    {
        if (runtime.IsFinal)
        {
            return;
        }

        bool winner = runtime.Siblings is not null && _workflow?.IsWinner(runtime.Index, item.Lane) == true;
        if (winner)
        {
            // Before counting this lane out: the stopped lanes end as cancelled, and the last to end fails the task for this.
            runtime.WinnerError = error;
        }

        if (runtime.EndLane() > 0)
        {
            Log.LaneFailed(_logger, runtime.Task.Id, item.Attempt, item.Lane, error, exception);
            Publish(AgentEventKind.AttemptFailed, runtime, item, runtime.State, error);
            return;
        }

        // A branch rejected in review ends its task as rejected, not failed (published as TaskFailed with that state).
        string? rejection = _workflow?.RejectionReason(runtime.Index);
        TaskState final = rejection is null ? TaskState.Failed : TaskState.Rejected;
        string reason = rejection ?? (runtime.Task.AgentCount > 1 && !winner ? $"all {runtime.Task.AgentCount} agents failed; the last: {error}" : error);
        if (!runtime.TryFinalize(final, reason, null, now))
        {
            return;
        }

        _observer?.TaskEnded(runtime.Task, runtime.Index, final, reason, now);
        if (rejection is null)
        {
            // A rejection was logged by the review that decided it.
            Log.TaskFailed(_logger, runtime.Task.Id, reason, exception);
        }

        Publish(AgentEventKind.TaskFailed, runtime, item, final, reason);
        SkipDependents(runtime, worker: worker);
        TaskFinished(worker);
    }

    /// <param name="runtime">The task.</param>
    /// <param name="reason">Why the lane was cancelled.</param>
    /// <param name="worker">The worker whose flow this is, which counts the tasks it ends; <see langword="null"/> off
    /// the workers.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LaneCancelled(TaskRuntime runtime, string reason, WorkerState? worker = null)
    {
        if (runtime.EndLane() != 0)
        {
            return;
        }

        // The lanes a winner stopped end after it: when its branch was rejected in review, the task was rejected.
        if (_workflow?.RejectionReason(runtime.Index) is { } rejection)
        {
            if (runtime.TryFinalize(TaskState.Rejected, rejection, null, _time.GetUtcNow()))
            {
                _observer?.TaskEnded(runtime.Task, runtime.Index, TaskState.Rejected, rejection, _time.GetUtcNow());
                Publish(AgentEventKind.TaskFailed, runtime, state: TaskState.Rejected, message: rejection);
                SkipDependents(runtime, worker: worker);
                TaskFinished(worker);
            }

            return;
        }

        // The lane that won stopped this one and then failed (its merge did): the task failed.
        if (!_runToken.IsCancellationRequested && runtime.WinnerError is { } failure)
        {
            DateTimeOffset failedAt = _time.GetUtcNow();
            if (runtime.TryFinalize(TaskState.Failed, failure, null, failedAt))
            {
                _observer?.TaskEnded(runtime.Task, runtime.Index, TaskState.Failed, failure, failedAt);
                Log.TaskFailed(_logger, runtime.Task.Id, failure, null);
                Publish(AgentEventKind.TaskFailed, runtime, state: TaskState.Failed, message: failure);
                SkipDependents(runtime, worker: worker);
                TaskFinished(worker);
            }

            return;
        }

        if (runtime.TryFinalize(TaskState.Cancelled, reason, null, _time.GetUtcNow()))
        {
            _observer?.TaskEnded(runtime.Task, runtime.Index, TaskState.Cancelled, reason, _time.GetUtcNow());
            Publish(AgentEventKind.TaskCancelled, runtime, state: TaskState.Cancelled, message: reason);
            if (!_runToken.IsCancellationRequested)
            {
                // The run goes on: what depends on this task can never start (a cancelled run ends its leftovers itself).
                SkipDependents(runtime, "was cancelled", worker);
            }

            TaskFinished(worker);
        }
    }
    /// <summary>Skips every task that depends, directly or not, on a task that failed.</summary>
    private void SkipDependents(TaskRuntime failed, string how = "failed", WorkerState? worker = null)
    {
        var pending = new Stack<(int Index, string Reason)>();
        string why = failed.State == TaskState.Rejected ? "was rejected in review" : how;
        foreach (int dependent in _plan.Graph.Dependents[failed.Index])
        {
            pending.Push((dependent, $"dependency '{failed.Task.Id}' {why}"));
        }

        while (pending.Count > 0)
        {
            (int index, string reason) = pending.Pop();
            TaskRuntime runtime = _tasks[index];
            if (!runtime.TryFinalize(TaskState.Skipped, reason, null, _time.GetUtcNow()))
            {
                continue;
            }

            _observer?.TaskEnded(runtime.Task, runtime.Index, TaskState.Skipped, reason, _time.GetUtcNow());
            Log.TaskSkipped(_logger, runtime.Task.Id, reason);
            Publish(AgentEventKind.TaskSkipped, runtime, state: TaskState.Skipped, message: reason);
            foreach (int dependent in _plan.Graph.Dependents[index])
            {
                pending.Push((dependent, $"dependency '{runtime.Task.Id}' was skipped"));
            }

            TaskFinished(worker);
        }
    }

    /// <summary>Counts a task that ended: on a worker's flow with that worker's next take, otherwise now. The last one
    /// completes the ready queue, which ends the workers.</summary>
    private void TaskFinished(WorkerState? worker)
    {
        if (worker is not null)
        {
            worker.Finished++;
        }
        else
        {
            _ready.TaskFinished();
        }
    }

    /// <summary>After the workers stop, ends every task that has not ended, saying honestly why.</summary>
    /// <returns>How many tasks still had an agent running that did not stop.</returns>
    private int FinalizeLeftovers(bool wasCancelled)
    {
        int stillRunning = 0;
        if (_ready.Unfinished == 0)
        {
            // Every task was counted as ended: nothing is left, and a run of thousands need not read every task's state.
            return stillRunning;
        }

        foreach (TaskRuntime runtime in _tasks)
        {
            if (runtime.IsFinal)
            {
                continue;
            }

            TaskState state = runtime.State;
            string reason = state switch
            {
                TaskState.Running => $"cancelled with the run; the agent did not stop within the grace period of {_options.CancellationGracePeriod}",
                TaskState.Retrying => CancelledWhileRetrying,
                _ when wasCancelled => "the run was cancelled before the task started",
                _ => "the task never became ready",
            };
            if (state == TaskState.Running)
            {
                stillRunning++;
            }

            if (runtime.TryFinalize(TaskState.Cancelled, reason, null, _time.GetUtcNow()))
            {
                _observer?.TaskEnded(runtime.Task, runtime.Index, TaskState.Cancelled, reason, _time.GetUtcNow());
                Publish(AgentEventKind.TaskCancelled, runtime, state: TaskState.Cancelled, message: reason);
            }
        }

        return stillRunning;
    }

    private IReadOnlyList<TaskResult> DependencyResults(int index)
    {
        int[] dependencies = _plan.Graph.Dependencies[index];
        // Every dependency has succeeded, so its result no longer changes: a view builds only what the agent reads.
        return dependencies.Length == 0 ? Array.Empty<TaskResult>() : new TaskResultList(_tasks, dependencies);
    }

    private async ValueTask DisposeWorkspaceAsync(IAgentWorkspace workspace, AgentTask task, WorkItem item)
    {
        try
        {
            await workspace.DisposeAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A cleanup failure is logged; it must not change the attempt's outcome.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.WorkspaceDisposeFailed(_logger, task.Id, item.Attempt, ex);
        }
    }

    // Inlined so that a run nobody watches pays one check per event, not a call with seven arguments.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void Publish(
        AgentEventKind kind,
        TaskRuntime? runtime,
        WorkItem? item = null,
        TaskState? state = null,
        string? message = null,
        TimeSpan? delay = null,
        RunResult? result = null)
    {
        if (_events.HasWatchers)
        {
            PublishToWatchers(kind, runtime, item, state, message, delay, result);
        }
    }

    private void PublishToWatchers(
        AgentEventKind kind, TaskRuntime? runtime, WorkItem? item, TaskState? state, string? message, TimeSpan? delay, RunResult? result)
    {
        _events.Publish(new AgentEvent
        {
            Kind = kind,
            RunId = RunId,
            Timestamp = _time.GetUtcNow(),
            TaskId = runtime?.Task.Id,
            Attempt = item?.Attempt,
            Lane = item?.Lane,
            State = state,
            Message = message,
            Delay = delay,
            Result = result,
        });
    }

    /// <summary>The logging scope of one attempt: structured, so log sinks can filter by task.</summary>
    private sealed class AttemptScope(string runId, string taskId, int attempt, int lane) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 4;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("RunId", runId),
            1 => new("TaskId", taskId),
            2 => new("Attempt", attempt),
            3 => new("Lane", lane),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (int i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"Run {runId} task {taskId} attempt {attempt} lane {lane}";
    }
}
