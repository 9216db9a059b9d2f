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
    private void SeedFromJournal(RunJournalState resume)
    {
        for (int i = 0; i < _tasks.Length; i++)
        {
            JournaledTask journaled = resume.Tasks[i];
            string? reason = journaled.State == TaskState.Succeeded ? null : journaled.Reason;
            if (!journaled.IsDone || !_tasks[i].TryFinalize(journaled.State!.Value, reason, null, journaled.CompletedAt))
            {
                continue;
            }

            _unfinished--;
            if (journaled.State == TaskState.Succeeded)
            {
                foreach (int dependent in _plan.Graph.Dependents[i])
                {
                    _tasks[dependent].PendingDependencies--;
                }
            }
        }
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

        if (Volatile.Read(ref _unfinished) == 0)
        {
            _ready.Complete();
        }
    }

    /// <summary>The attempt's own cancellation, which the run's cancellation, a restart and a task's cancellation all
    /// go through. Not linked to the run's token, which would cost a registration per attempt: the run's cancellation
    /// cancels every live one instead (<see cref="CancelAttemptControls"/>).</summary>
    private CancellationTokenSource BeginControl(WorkItem item, CancellationToken runToken)
    {
        var control = new CancellationTokenSource();
        int slot = _firstSlot[item.TaskIndex] + item.Lane;
        Volatile.Write(ref _attemptControls[slot], control);

        // The run's callback sets the flag before it looks at the slots: either it sees this source or this sees the flag.
        if (runToken.IsCancellationRequested)
        {
            control.Cancel();
        }

        return control;
    }

    /// <summary>Ends the attempt's control; when a restart or a cancel stopped it (and it did not succeed anyway), the
    /// attempt is reported for that, not for how the agent took being stopped.</summary>
    private TaskControlRequest? EndControl(WorkItem item, ref AttemptStatus status, ref string? error, ref bool transient)
    {
        int slot = _firstSlot[item.TaskIndex] + item.Lane;
        // Sources of attempts are not disposed: without a timer or links they hold nothing, and a controller may still
        // be cancelling this one.
        Volatile.Write(ref _attemptControls[slot], null);
        TaskControlRequest? request = Interlocked.Exchange(ref _controlRequests[slot], null);
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

    private void CancelAttemptControls()
    {
        foreach (CancellationTokenSource? control in _attemptControls)
        {
            control?.Cancel();
        }
    }

    /// <summary>Queues the lane's next attempt after a restart; it continues on the lane's branch, whose work the
    /// stopped attempt committed.</summary>
    private void RestartLane(TaskRuntime runtime, WorkItem item, CancellationToken runToken)
    {
        if (runtime.IsFinal || runToken.IsCancellationRequested)
        {
            LaneCancelled(runtime, runToken.IsCancellationRequested ? "cancelled with the run" : RestartedReason);
            return;
        }

        runtime.SetState(TaskState.Queued);
        Publish(AgentEventKind.TaskQueued, runtime, item, TaskState.Queued, RestartedReason);
        if (!_ready.TryAdd(item with { Attempt = item.Attempt + 1, PreviousError = null }))
        {
            LaneCancelled(runtime, "the run was cancelled before the restarted attempt started");
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
        TaskFinished();
        return Task.WhenAll(stopping);
    }

    private List<Task> Stop(TaskRuntime runtime, bool restart)
    {
        var stopping = new List<Task>();
        for (int slot = _firstSlot[runtime.Index]; slot < _firstSlot[runtime.Index + 1]; slot++)
        {
            var request = new TaskControlRequest(restart);
            if (Interlocked.CompareExchange(ref _controlRequests[slot], request, null) is { } earlier)
            {
                // Already being stopped: wait for that.
                stopping.Add(earlier.Done.Task);
                continue;
            }

            CancellationTokenSource? control = Volatile.Read(ref _attemptControls[slot]);
            if (control is null)
            {
                // No attempt in this lane now; if one ended meanwhile and took the request, it completes it.
                if (Interlocked.CompareExchange(ref _controlRequests[slot], null, request) != request)
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
