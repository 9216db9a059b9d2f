namespace ParallelAgents.Sdk;

/// <summary>The mutable state of one task during one run; shared by the workers, so every change is atomic.</summary>
internal sealed class TaskRuntime
{
    private readonly List<AttemptResult> _attempts = [];
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

    public long StartedTimestamp;

    public DateTimeOffset? StartedAt { get; private set; }

    public DateTimeOffset? CompletedAt { get; private set; }

    public string? Error { get; private set; }

    public string? Summary { get; private set; }

    public bool IsFinal => Volatile.Read(ref _final) != 0;

    public TaskState State => (TaskState)Volatile.Read(ref _state);

    public void SetState(TaskState state)
    {
        if (!IsFinal)
        {
            Volatile.Write(ref _state, (int)state);
        }
    }

    public void MarkStarted(DateTimeOffset now, long timestamp)
    {
        lock (_attempts)
        {
            if (StartedAt is null)
            {
                StartedAt = now;
                StartedTimestamp = timestamp;
            }
        }
    }

    public void AddAttempt(AttemptResult attempt)
    {
        lock (_attempts)
        {
            _attempts.Add(attempt);
        }
    }

    /// <summary>Moves the task to a final state exactly once; later callers lose and get <see langword="false"/>.</summary>
    public bool TryFinalize(TaskState state, string? error, string? summary, DateTimeOffset now)
    {
        if (Interlocked.CompareExchange(ref _final, 1, 0) != 0)
        {
            return false;
        }

        lock (_attempts)
        {
            Error = error;
            Summary = summary;
            CompletedAt = now;
        }

        Volatile.Write(ref _state, (int)state);
        return true;
    }

    public TaskResult ToResult()
    {
        lock (_attempts)
        {
            return new TaskResult
            {
                TaskId = Task.Id,
                State = State,
                Attempts = [.. _attempts],
                StartedAt = StartedAt,
                CompletedAt = CompletedAt,
                Duration = StartedAt is { } started && CompletedAt is { } completed ? completed - started : TimeSpan.Zero,
                Error = Error,
                Summary = Summary,
            };
        }
    }
}
