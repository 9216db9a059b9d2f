namespace ParallelAgents.Sdk;

/// <summary>The mutable state of one task during one run; shared by the workers, so every change is atomic.</summary>
/// <remarks>
/// Lock-free and small on purpose: a run holds one per task until it ends, and every attempt touches it a few times.
/// The attempts live in a copy-on-write array that is also the result's <see cref="TaskResult.Attempts"/>, and the
/// final <see cref="TaskResult"/> is built once, when the task ends, and reused (dependents read it for their context).
/// </remarks>
internal sealed class TaskRuntime
{
    private AttemptResult[] _attempts = [];
    private TaskResult? _result;
    private long _startedTicks;
    private int _state = (int)TaskState.Pending;
    private int _final;

    public TaskRuntime(AgentTask task, int index, int dependencyCount, int maxAttempts)
    {
        Task = task;
        Index = index;
        PendingDependencies = dependencyCount;
        ActiveLanes = task.AgentCount;
        MaxAttempts = maxAttempts;

        // Only a task raced by several agents needs a way to stop the losers.
        Siblings = task.AgentCount > 1 ? new CancellationTokenSource() : null;
    }

    public AgentTask Task { get; }

    public int Index { get; }

    public int MaxAttempts { get; }

    /// <summary>Dependencies not yet succeeded; decremented atomically, the task is ready at zero.</summary>
    public int PendingDependencies;

    /// <summary>Lanes that have not yet ended for good; the task fails when the last one does.</summary>
    public int ActiveLanes;

    public CancellationTokenSource? Siblings { get; }

    public bool IsFinal => Volatile.Read(ref _final) != 0;

    public TaskState State => (TaskState)Volatile.Read(ref _state);

    private DateTimeOffset? StartedAt
    {
        get
        {
            long ticks = Volatile.Read(ref _startedTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public void SetState(TaskState state)
    {
        if (!IsFinal)
        {
            Volatile.Write(ref _state, (int)state);
        }
    }

    /// <summary>Records when the first attempt started; later attempts leave it alone.</summary>
    public void MarkStarted(DateTimeOffset now) => Interlocked.CompareExchange(ref _startedTicks, now.UtcTicks, 0);

    public void AddAttempt(AttemptResult attempt)
    {
        AttemptResult[] current = Volatile.Read(ref _attempts);
        while (true)
        {
            AttemptResult[] seen = Interlocked.CompareExchange(ref _attempts, [.. current, attempt], current);
            if (ReferenceEquals(seen, current))
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Moves the task to a final state exactly once; later callers lose and get <see langword="false"/>.</summary>
    public bool TryFinalize(TaskState state, string? error, string? summary, DateTimeOffset now)
    {
        if (Interlocked.CompareExchange(ref _final, 1, 0) != 0)
        {
            return false;
        }

        DateTimeOffset? started = StartedAt;
        Volatile.Write(ref _state, (int)state);
        Volatile.Write(ref _result, new TaskResult
        {
            TaskId = Task.Id,
            State = state,
            Attempts = Volatile.Read(ref _attempts),
            StartedAt = started,
            CompletedAt = now,
            Duration = started is { } s ? now - s : TimeSpan.Zero,
            Error = error,
            Summary = summary,
        });
        return true;
    }

    /// <summary>The task's result so far; once the task is final, the same object until another attempt ends.</summary>
    public TaskResult ToResult()
    {
        AttemptResult[] attempts = Volatile.Read(ref _attempts);
        TaskResult? result = Volatile.Read(ref _result);
        if (result is null)
        {
            // Only reached for a task that has not ended, which a run's result never holds.
            return new TaskResult { TaskId = Task.Id, State = State, Attempts = attempts, StartedAt = StartedAt };
        }

        if (ReferenceEquals(result.Attempts, attempts))
        {
            return result;
        }

        // An attempt ended after the task did (a losing sibling, cancelled): refresh the kept result.
        var refreshed = new TaskResult
        {
            TaskId = result.TaskId,
            State = result.State,
            Attempts = attempts,
            StartedAt = result.StartedAt,
            CompletedAt = result.CompletedAt,
            Duration = result.Duration,
            Error = result.Error,
            Summary = result.Summary,
        };
        Interlocked.CompareExchange(ref _result, refreshed, result);
        return refreshed;
    }
}
