using System.Globalization;

namespace ParallelAgents.Sdk;

/// <summary>The parts of a run that resume it from its journal and that restart or cancel one task while it goes on;
/// kept apart from the scheduler's hot path, which calls them at a few fixed points.</summary>
internal sealed partial class RunExecution
{
    private const string RestartedReason = "restarted by RestartTaskAsync";
    private const string CancelledOnPurposeReason = "cancelled by CancelTaskAsync";

    /// <summary>Writes the journal's first record (a new run) or marks where a resumed run took over.</summary>
    private void BeginJournal()
    {
        if (_journal is null)
        {
            return;
        }

        if (_resume is null)
        {
            _journal.Begin(RunId, _plan, _workflow?.RunBase, _time.GetUtcNow());
        }
        else
        {
            _journal.Resumed(_time.GetUtcNow(), _resume.Tasks.Where(t => t.CancelledOnPurpose).Select(t => t.TaskId));
        }
    }

    /// <summary>Ends, before anything runs, the tasks the journal says are done: the succeeded ones release their
    /// dependents, and none of them is run, merged or reported again.</summary>
    /// <returns>How many tasks it ended.</returns>
    private int SeedFromJournal(RunJournalState resume)
    {
        int ended = 0;
        for (int i = 0; i < _tasks.Length; i++)
        {
            JournaledTask journaled = resume.Tasks[i];
            string? reason = journaled.State == TaskState.Succeeded ? null : journaled.Reason;
            if (!journaled.IsDone || !_tasks[i].TryFinalize(journaled.State!.Value, reason, null, journaled.CompletedAt))
            {
                continue;
            }

            ended++;
            if (journaled.State == TaskState.Succeeded)
            {
                foreach (int dependent in _plan.Graph.Dependents[i])
                {
                    _pending[dependent]--;
                }
            }
        }

        return ended;
    }

    /// <summary>Skips what depends on a task that ended without success before the process stopped, when the journal
    /// did not get to record the skips; completes the ready queue when nothing is left to run.</summary>
    private void SkipAfterResume()
    {
        if (_resume is null)
        {
            return;
        }

        foreach (TaskRuntime runtime in _tasks)
        {
            TaskState state = runtime.State;
            if (runtime.IsFinal && state != TaskState.Succeeded)
            {
                SkipDependents(runtime, state == TaskState.Failed ? "failed" : "was " + state.ToString().ToLowerInvariant());
            }
        }

        if (_ready.Unfinished == 0)
        {
            _ready.Complete();
        }
    }

    /// <summary>The attempt's own cancellation, which the run's cancellation, a restart and a task's cancellation all
    /// go through. Not linked to the run's token, which would cost a registration per attempt: the run's cancellation
    /// cancels every live one instead (<see cref="CancelAttemptControls"/>).</summary>
    /// <param name="item">The attempt.</param>
    /// <param name="runtime">Its task.</param>
    /// <param name="runToken">The run's cancellation.</param>
    /// <param name="worker">The worker running the attempt on its own flow, whose last source, if nothing stopped it,
    /// is used again; <see langword="null"/> for a new source.</param>
    private static CancellationTokenSource BeginControl(WorkItem item, TaskRuntime runtime, CancellationToken runToken, WorkerState? worker = null)
    {
        CancellationTokenSource control = worker?.TakeControl() ?? new CancellationTokenSource();
        Volatile.Write(ref runtime.ControlOf(item.Lane), control);

        // The run's callback sets the flag, then a process-wide barrier, then looks at the slots: either it sees this
        // source or this sees the flag (see PeekAfterWrite).
        if (PeekAfterWrite(ref runToken))
        {
            control.Cancel();
        }

        return control;
    }

    /// <summary>Ends the attempt's control; when a restart or a cancel stopped it (and it did not succeed anyway), the
    /// attempt is reported for that, not for how the agent took being stopped.</summary>
    /// <param name="item">The attempt.</param>
    /// <param name="runtime">Its task.</param>
    /// <param name="status">How the attempt ended; becomes <see cref="AttemptStatus.Cancelled"/> when a request stopped it.</param>
    /// <param name="error">Why it did not succeed; becomes the request's reason.</param>
    /// <param name="transient">Whether another attempt may succeed; a stopped attempt is not retried.</param>
    /// <param name="worker">The worker whose flow ran the attempt with nothing linked to its control: it keeps the
    /// source for its next attempt when nothing cancelled it and no controller reached for it.</param>
    private TaskControlRequest? EndControl(WorkItem item, TaskRuntime runtime, ref AttemptStatus status, ref string? error, ref bool transient, WorkerState? worker = null)
    {
        // Sources of attempts are not disposed: without a timer or links they hold nothing, and a controller may still
        // be cancelling this one.
        ref CancellationTokenSource? slot = ref runtime.ControlOf(item.Lane);
        CancellationTokenSource? control = Volatile.Read(ref slot);
        Volatile.Write(ref slot, null);

        // A controller (Stop) puts its request, then a process-wide barrier, then reads the slot: either it saw the
        // source, and this sees its request, or it saw none and finds the lane idle. So only an attempt a controller
        // reached pays for an interlocked instruction here.
        ref TaskControlRequest? requested = ref runtime.RequestOf(item.Lane);
        TaskControlRequest? request = PeekAfterWrite(ref requested) is null ? null : Interlocked.Exchange(ref requested, null);
        if (worker is not null && request is null && control is not null && control.TryReset())
        {
            // A controller that read the source before it was cleared had put its request first (Stop), so with no
            // request here nobody but the run can cancel it later, and a cancelled run cancels every attempt anyway:
            // the worker's next attempt may use it. The reset drops what the agent left registered on its token.
            worker.Control = control;
        }

        if (request is null || status == AttemptStatus.Succeeded || _runToken.IsCancellationRequested)
        {
            request?.Done.TrySetResult();
            return null;
        }

        status = AttemptStatus.Cancelled;
        error = request.Restart ? RestartedReason : CancelledOnPurposeReason;
        transient = false;
        return request;
    }

    /// <summary>Reads <paramref name="location"/> after the caller's last write, for the fast side of the scheduler's
    /// asymmetric handshakes with the rare side (a controller, the run's cancellation), which writes its own location
    /// and then calls <see cref="Interlocked.MemoryBarrierProcessWide"/> before it reads the caller's. That barrier
    /// orders the processor; not inlining this read keeps the compiler from moving it above the caller's write, as the
    /// runtime's own tests of the barrier do.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static T PeekAfterWrite<T>(ref T location)
        where T : class? => location;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static bool PeekAfterWrite(ref CancellationToken token) => token.IsCancellationRequested;

    private void CancelAttemptControls()
    {
        // The other side of BeginControl's handshake: the flag is set, and every attempt that did not see it has put
        // its source where this loop reads it.
        Interlocked.MemoryBarrierProcessWide();
        foreach (TaskRuntime runtime in _tasks)
        {
            runtime.CancelControls();
        }
    }

    /// <summary>Queues the lane's next attempt after a restart; it continues on the lane's branch, whose work the
    /// stopped attempt committed.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void RestartLane(TaskRuntime runtime, WorkItem item, WorkerState worker, CancellationToken runToken)
    {
        if (runtime.IsFinal || runToken.IsCancellationRequested)
        {
            LaneCancelled(runtime, runToken.IsCancellationRequested ? "cancelled with the run" : RestartedReason, worker);
            return;
        }

        runtime.SetState(TaskState.Queued);
        Publish(AgentEventKind.TaskQueued, runtime, item, TaskState.Queued, RestartedReason);
        if (!_ready.TryAdd(item with { Attempt = item.Attempt + 1, PreviousError = null }))
        {
            LaneCancelled(runtime, "the run was cancelled before the restarted attempt started", worker);
        }
    }

    /// <summary>Stops the task's running attempts and starts each again on its branch.</summary>
    /// <returns>Completes when the stopped attempts have ended and committed their work.</returns>
    /// <exception cref="ArgumentException">The plan has no such task.</exception>
    /// <exception cref="InvalidOperationException">The task has ended, or has no attempt running.</exception>
    public Task RestartTask(string taskId)
    {
        TaskRuntime runtime = Find(taskId);
        ThrowIfFinal(runtime);
        List<Task> stopping = Stop(runtime, restart: true);
        if (stopping.Count == 0)
        {
            ThrowIfFinal(runtime);
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Task '{taskId}' has no attempt running (it is {runtime.State}), so there is nothing to restart; it starts when its turn comes. Cancel it with CancelTaskAsync if it should not run."));
        }

        return Task.WhenAll(stopping);
    }

    /// <summary>Ends the task as cancelled now, skips its dependents, and stops its running attempts, whose work is
    /// committed on their branches. Tasks that do not depend on it go on.</summary>
    /// <returns>Completes when the stopped attempts have ended and committed their work.</returns>
    /// <exception cref="ArgumentException">The plan has no such task.</exception>
    /// <exception cref="InvalidOperationException">The task has already ended.</exception>
    public Task CancelTask(string taskId)
    {
        TaskRuntime runtime = Find(taskId);
        ThrowIfFinal(runtime);
        DateTimeOffset now = _time.GetUtcNow();
        _journal?.CancelRequested(taskId, now);
        List<Task> stopping = Stop(runtime, restart: false);
        if (!runtime.TryFinalize(TaskState.Cancelled, CancelledOnPurposeReason, null, now))
        {
            ThrowIfFinal(runtime);
        }

        _observer?.TaskEnded(runtime.Task, runtime.Index, TaskState.Cancelled, CancelledOnPurposeReason, now);
        Publish(AgentEventKind.TaskCancelled, runtime, state: TaskState.Cancelled, message: CancelledOnPurposeReason);
        SkipDependents(runtime, "was cancelled");
        TaskFinished(null);
        return Task.WhenAll(stopping);
    }

    private static List<Task> Stop(TaskRuntime runtime, bool restart)
    {
        var stopping = new List<Task>();
        for (int lane = 0; lane < runtime.Lanes; lane++)
        {
            var request = new TaskControlRequest(restart);
            if (Interlocked.CompareExchange(ref runtime.RequestOf(lane), request, null) is { } earlier)
            {
                // Already being stopped: wait for that.
                stopping.Add(earlier.Done.Task);
                continue;
            }

            // The rare side of EndControl's handshake: an attempt ending now either sees the request or has cleared
            // its slot by the time it is read below.
            Interlocked.MemoryBarrierProcessWide();
            CancellationTokenSource? control = Volatile.Read(ref runtime.ControlOf(lane));
            if (control is null)
            {
                // No attempt in this lane now; if one ended meanwhile and took the request, it completes it.
                if (Interlocked.CompareExchange(ref runtime.RequestOf(lane), null, request) != request)
                {
                    stopping.Add(request.Done.Task);
                }

                continue;
            }

            stopping.Add(request.Done.Task);
            control.Cancel();
        }

        return stopping;
    }

    private TaskRuntime Find(string taskId) =>
        _plan.TryGetTask(taskId, out _)
            ? _tasks[_plan.IndexOf(taskId)]
            : throw new ArgumentException(
                $"The run {RunId} has no task '{taskId}'; its tasks are {string.Join(", ", _plan.Tasks.Select(t => t.Id))}.", nameof(taskId));

    private static void ThrowIfFinal(TaskRuntime runtime)
    {
        if (runtime.IsFinal)
        {
            throw new InvalidOperationException(
                $"Task '{runtime.Task.Id}' has already ended ({runtime.State}); only a task that has not ended can be restarted or cancelled.");
        }
    }
}
