namespace ParallelAgents.Sdk;

/// <summary>The mutable state of one task during one run; shared by the workers, so every change is atomic.</summary>
/// <remarks>
/// Lock-free and small on purpose: a run holds one per task until it ends, and every attempt touches it a few times.
/// The public <see cref="TaskResult"/> (and its <see cref="AttemptResult"/>s) is built when first asked for, by a
/// dependent's <see cref="AgentContext.Dependencies"/> or the run's <see cref="RunResult.Tasks"/>, and then kept: a
/// run of ten thousand tasks otherwise kept three objects per task alive to its end, which made every garbage
/// collection during the run copy them. A single-agent task whose first attempt succeeds (the common case) records
/// that attempt as a duration only; tasks with retries, failures or several agents keep their attempt objects.
/// </remarks>
internal sealed class TaskRuntime
{
    private AttemptResult[] _attempts = [];
    private TaskResult? _result;
    private long _startedTicks;
    private int _state = (int)TaskState.Pending;
    private int _final;

    // Written once by the caller that wins TryFinalize, then published by _ended.
    private int _ended;
    private string? _error;
    private string? _summary;
    private DateTimeOffset _completedAt;

    // The first attempt of a single-agent task that succeeded: its start is the task's, its summary the task's.
    private bool _hasSoloAttempt;
    private TimeSpan _soloDuration;

    /// <param name="task">The task.</param>
    /// <param name="index">Its index in the plan.</param>
    /// <param name="traits">What the scheduler reads of it (the task object itself is not read here).</param>
    /// <param name="maxAttempts">How many attempts it may have.</param>
    public TaskRuntime(AgentTask task, int index, in TaskTraits traits, int maxAttempts)
    {
        Task = task;
        Index = index;
        Lanes = traits.Lanes;
        HasTimeout = traits.HasTimeout;
        ActiveLanes = traits.Lanes;
        MaxAttempts = maxAttempts;

        // Only a task raced by several agents needs a way to stop the losers.
        if (traits.Lanes > 1)
        {
            _lanes = new MultiLane(traits.Lanes);
        }
    }

    public AgentTask Task { get; }

    public int Index { get; }

    public int MaxAttempts { get; }

    /// <summary>The task's <see cref="AgentTask.AgentCount"/>, kept here so that the scheduler's hot path reads the
    /// task's state without reading the task (another object, and another cache miss).</summary>
    public int Lanes { get; }

    /// <summary>Whether the task has a <see cref="AgentTask.Timeout"/>.</summary>
    public bool HasTimeout { get; }

    /// <summary>Lanes that have not yet ended for good; the task fails when the last one does.</summary>
    public int ActiveLanes;

    /// <summary>Why the lane that succeeded first, and so stopped the others, then failed (its merge did): the task
    /// failed for that, whichever lane ends last. Set before that lane counts itself out of <see cref="ActiveLanes"/>;
    /// only a task raced by several agents has one.</summary>
    public string? WinnerError
    {
        get => _lanes is null ? null : Volatile.Read(ref _lanes.WinnerError);
        set => Volatile.Write(ref _lanes!.WinnerError, value);
    }

    public CancellationTokenSource? Siblings => _lanes?.Siblings;

    // The running attempt's own cancellation and a pending restart or cancel request, per lane: lane 0 in fields, the
    // others (a task raced by several agents) in arrays made only for such a task.
    private CancellationTokenSource? _control;
    private TaskControlRequest? _request;
    private readonly MultiLane? _lanes;

    /// <summary>The cancellation of the lane's running attempt, or <see langword="null"/> between attempts.</summary>
    public ref CancellationTokenSource? ControlOf(int lane) => ref lane == 0 ? ref _control : ref _lanes!.Others[lane - 1].Control;

    /// <summary>A restart or cancel waiting for the lane's running attempt to end.</summary>
    public ref TaskControlRequest? RequestOf(int lane) => ref lane == 0 ? ref _request : ref _lanes!.Others[lane - 1].Request;

    /// <summary>Cancels every running attempt of the task.</summary>
    public void CancelControls()
    {
        Volatile.Read(ref _control)?.Cancel();
        if (_lanes is not null)
        {
            for (int i = 0; i < _lanes.Others.Length; i++)
            {
                Volatile.Read(ref _lanes.Others[i].Control)?.Cancel();
            }
        }
    }

    /// <summary>What only a task raced by several agents needs: a way to stop the losers, the other lanes' controls,
    /// and the winner's failure. One object, so that a single-agent task (the usual one) carries one empty field.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Siblings has no timer and no links, so it holds nothing to dispose; lanes may still cancel it after the run.")]
    private sealed class MultiLane(int lanes)
    {
        public readonly CancellationTokenSource Siblings = new();
        public readonly LaneControl[] Others = new LaneControl[lanes - 1];
        public string? WinnerError;
    }

    private struct LaneControl
    {
        public CancellationTokenSource? Control;
        public TaskControlRequest? Request;
    }

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
    public void MarkStarted(DateTimeOffset now)
    {
        if (Volatile.Read(ref _startedTicks) != 0)
        {
            return;
        }

        if (Siblings is null)
        {
            // One agent: its attempts run one after another, so no other attempt can be starting now.
            Volatile.Write(ref _startedTicks, now.UtcTicks);
        }
        else
        {
            Interlocked.CompareExchange(ref _startedTicks, now.UtcTicks, 0);
        }
    }

    /// <summary>Records a successful attempt without building its object, when it is the task's only attempt: a
    /// single-agent task, first attempt, not yet final. Otherwise does nothing and returns <see langword="false"/>,
    /// and the caller records the attempt with <see cref="AddAttempt(AttemptResult)"/>.</summary>
    /// <remarks>Called by the one worker running the task's only lane, before it finalizes the task, so no other
    /// attempt can be added meanwhile.</remarks>
    public bool TryRecordSoloSuccess(int attempt, int lane, TimeSpan duration)
    {
        if (attempt != 1 || lane != 0 || Lanes != 1 || IsFinal || Volatile.Read(ref _attempts).Length != 0)
        {
            return false;
        }

        _soloDuration = duration;
        _hasSoloAttempt = true;
        return true;
    }

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

        _error = error;
        _summary = summary;
        _completedAt = now;
        Volatile.Write(ref _state, (int)state);
        Volatile.Write(ref _ended, 1);
        return true;
    }

    /// <summary>The task's result so far; once the task is final, the same object until another attempt ends.</summary>
    public TaskResult ToResult()
    {
        if (Volatile.Read(ref _ended) == 0)
        {
            // Only reached for a task that has not ended, which a run's result never holds.
            return new TaskResult { TaskId = Task.Id, State = State, Attempts = Volatile.Read(ref _attempts), StartedAt = StartedAt };
        }

        TaskResult? result = Volatile.Read(ref _result);
        if (result is not null && (_hasSoloAttempt || ReferenceEquals(result.Attempts, Volatile.Read(ref _attempts))))
        {
            return result;
        }

        // Built for the first time, or an attempt ended after the task did (a losing sibling, cancelled): refresh.
        TaskResult built = Build();
        TaskResult? seen = Interlocked.CompareExchange(ref _result, built, result);
        return ReferenceEquals(seen, result) ? built : seen!;
    }

    private TaskResult Build()
    {
        DateTimeOffset? started = StartedAt;
        AttemptResult[] attempts = _hasSoloAttempt
            ?
            [
                new AttemptResult
                {
                    Attempt = 1,
                    Lane = 0,
                    Status = AttemptStatus.Succeeded,
                    StartedAt = started ?? _completedAt,
                    Duration = _soloDuration,
                    Summary = _summary,
                },
            ]
            : Volatile.Read(ref _attempts);
        return new TaskResult
        {
            TaskId = Task.Id,
            State = State,
            Attempts = attempts,
            StartedAt = started,
            CompletedAt = _completedAt,
            Duration = started is { } s ? _completedAt - s : TimeSpan.Zero,
            Error = _error,
            Summary = _summary,
        };
    }
}
