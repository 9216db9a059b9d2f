using System.Collections;
using System.Runtime.CompilerServices;

namespace ParallelAgents.Sdk;

/// <summary>The mutable state of every task of one run: one <see cref="TaskCell"/> per task, side by side in chunks.</summary>
/// <remarks>
/// <para>Cells, not an object per task: a run of ten thousand tasks otherwise kept ten thousand objects alive to its
/// end, which every garbage collection during the run had to mark and copy, and whose headers and padding took two
/// to three cache lines per task. Chunks of <see cref="ChunkSize"/> cells stay below the large object heap's
/// threshold, which only a full collection frees.</para>
/// <para>What only some tasks need (attempt records beyond a lone first success, a final error or summary, the built
/// result, the extra lanes of a task raced by several agents) lives in a <see cref="TaskExtra"/> made when first
/// needed.</para>
/// </remarks>
internal sealed class TaskStates : IEnumerable<TaskRuntime>
{
    /// <summary>Cells per chunk: a power of two that keeps a chunk under 80,000 bytes.</summary>
    internal static readonly int ChunkShift = 31 - System.Numerics.BitOperations.LeadingZeroCount((uint)(80_000 / Unsafe.SizeOf<TaskCell>()));

    internal static readonly int ChunkSize = 1 << ChunkShift;

    private static readonly int ChunkMask = ChunkSize - 1;

    private readonly TaskCell[][] _chunks;
    private readonly int _defaultMaxAttempts;
    private readonly int[]? _attemptOffsets;

    /// <param name="plan">The run's plan.</param>
    /// <param name="defaultMaxAttempts">The attempts of a task that does not set <see cref="AgentTask.MaxAttempts"/>.</param>
    /// <param name="attemptOffsets">For a resumed run, the attempts each task started before (its attempts number on
    /// from there, with a fresh budget).</param>
    public TaskStates(TaskPlan plan, int defaultMaxAttempts, int[]? attemptOffsets)
    {
        Plan = plan;
        Traits = plan.Graph.Traits;
        Length = plan.Tasks.Count;
        _defaultMaxAttempts = defaultMaxAttempts;
        _attemptOffsets = attemptOffsets;
        _chunks = new TaskCell[(Length + ChunkSize - 1) >> ChunkShift][];
        for (int c = 0; c < _chunks.Length; c++)
        {
            _chunks[c] = new TaskCell[Math.Min(ChunkSize, Length - (c << ChunkShift))];
        }

        // Only a task raced by several agents needs a way to stop the losers.
        foreach (int index in plan.Graph.MultiLaneTasks)
        {
            Cell(index).Extra = new TaskExtra { Lanes = new MultiLane(Traits[index].Lanes) };
        }
    }

    public TaskPlan Plan { get; }

    public TaskTraits[] Traits { get; }

    /// <summary>How many tasks the run has.</summary>
    public int Length { get; }

    /// <summary>The state of the task at <paramref name="index"/> in the plan.</summary>
    public TaskRuntime this[int index] => new(this, index);

    /// <summary>The cell of the task at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TaskCell Cell(int index) => ref _chunks[index >> ChunkShift][index & ChunkMask];

    /// <summary>How many attempts the task may have in this run.</summary>
    public int MaxAttemptsOf(int index) => (Traits[index].MaxAttempts ?? _defaultMaxAttempts) + (_attemptOffsets?[index] ?? 0);

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<TaskRuntime> IEnumerable<TaskRuntime>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Every task's state, in plan order.</summary>
    public struct Enumerator(TaskStates states) : IEnumerator<TaskRuntime>
    {
        private int _index = -1;

        public readonly TaskRuntime Current => states[_index];

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < states.Length;

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }
}

/// <summary>The state of one task during one run, written by the workers: every change is atomic or published by a
/// release write that readers pair with an acquire read (see <see cref="TaskRuntime"/>).</summary>
internal struct TaskCell
{
    /// <summary>The <see cref="TaskState"/>; zero is <see cref="TaskState.Pending"/>.</summary>
    public int State;

    /// <summary>1 once a caller won <see cref="TaskRuntime.TryFinalize"/>.</summary>
    public int Final;

    /// <summary>1 once that caller wrote the final fields (a release write).</summary>
    public int Ended;

    /// <summary>Lanes that ended for good; the task fails when the last one does.</summary>
    public int LanesEnded;

    /// <summary>1 when the task's only attempt (single agent, first attempt) succeeded and is kept as
    /// <see cref="SoloDurationTicks"/> alone.</summary>
    public int HasSoloAttempt;

    /// <summary>When the first attempt started, UTC ticks; 0 before.</summary>
    public long StartedTicks;

    /// <summary>When the task ended, UTC ticks (written by the winner of <see cref="TaskRuntime.TryFinalize"/>).</summary>
    public long CompletedTicks;

    public long SoloDurationTicks;

    /// <summary>Lane 0's running attempt's cancellation, or <see langword="null"/> between attempts.</summary>
    public CancellationTokenSource? Control;

    /// <summary>A restart or cancel waiting for lane 0's running attempt to end.</summary>
    public TaskControlRequest? Request;

    /// <summary>What only some tasks need, made when first needed.</summary>
    public TaskExtra? Extra;
}

/// <summary>What only some tasks need: attempt records beyond a lone first success, a final error or summary, the
/// built result, and the lanes of a task raced by several agents.</summary>
internal sealed class TaskExtra
{
    public AttemptResult[] Attempts = [];
    public TaskResult? Result;
    public string? Error;
    public string? Summary;

    /// <summary>Made with the run's states, for a task raced by several agents.</summary>
    public MultiLane? Lanes;
}

/// <summary>What only a task raced by several agents needs: a way to stop the losers, the other lanes' controls, and
/// the winner's failure.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Siblings has no timer and no links, so it holds nothing to dispose; lanes may still cancel it after the run.")]
internal sealed class MultiLane(int lanes)
{
    public readonly CancellationTokenSource Siblings = new();
    public readonly LaneControl[] Others = new LaneControl[lanes - 1];
    public string? WinnerError;
}

/// <summary>A lane's control beyond lane 0 (see <see cref="TaskCell.Control"/> and <see cref="TaskCell.Request"/>).</summary>
internal struct LaneControl
{
    public CancellationTokenSource? Control;
    public TaskControlRequest? Request;
}

/// <summary>One task's state in a run: a handle to its <see cref="TaskCell"/>; shared by the workers, so every change
/// is atomic.</summary>
/// <remarks>
/// The public <see cref="TaskResult"/> (and its <see cref="AttemptResult"/>s) is built when first asked for, by a
/// dependent's <see cref="AgentContext.Dependencies"/> or the run's <see cref="RunResult.Tasks"/>, and then kept. A
/// single-agent task whose first attempt succeeds (the common case) records that attempt as a duration only; tasks
/// with retries, failures or several agents keep their attempt objects.
/// </remarks>
internal readonly struct TaskRuntime
{
    private readonly TaskStates _states;

    public TaskRuntime(TaskStates states, int index)
    {
        _states = states;
        Index = index;
    }

    private ref TaskCell Cell => ref _states.Cell(Index);

    public AgentTask Task => _states.Plan.Graph.Tasks[Index];

    public int Index { get; }

    public int MaxAttempts => _states.MaxAttemptsOf(Index);

    /// <summary>The task's <see cref="AgentTask.AgentCount"/>, read from the plan's traits, not from the task object.</summary>
    public int Lanes => _states.Traits[Index].Lanes;

    /// <summary>Whether the task has a <see cref="AgentTask.Timeout"/>.</summary>
    public bool HasTimeout => _states.Traits[Index].HasTimeout;

    /// <summary>Counts one lane as ended for good.</summary>
    /// <returns>How many lanes are still going.</returns>
    public int EndLane() => Lanes - Interlocked.Increment(ref Cell.LanesEnded);

    /// <summary>Why the lane that succeeded first, and so stopped the others, then failed (its merge did): the task
    /// failed for that, whichever lane ends last. Set before that lane counts itself out with <see cref="EndLane"/>;
    /// only a task raced by several agents has one.</summary>
    public string? WinnerError
    {
        get => Lanes == 1 ? null : Volatile.Read(ref Cell.Extra!.Lanes!.WinnerError);
        set => Volatile.Write(ref Cell.Extra!.Lanes!.WinnerError, value);
    }

    /// <summary>Stops the other lanes of a task raced by several agents; <see langword="null"/> for a single agent.</summary>
    public CancellationTokenSource? Siblings => Lanes == 1 ? null : Cell.Extra!.Lanes!.Siblings;

    /// <summary>The cancellation of the lane's running attempt, or <see langword="null"/> between attempts.</summary>
    public ref CancellationTokenSource? ControlOf(int lane) => ref lane == 0 ? ref Cell.Control : ref Cell.Extra!.Lanes!.Others[lane - 1].Control;

    /// <summary>A restart or cancel waiting for the lane's running attempt to end.</summary>
    public ref TaskControlRequest? RequestOf(int lane) => ref lane == 0 ? ref Cell.Request : ref Cell.Extra!.Lanes!.Others[lane - 1].Request;

    /// <summary>Cancels every running attempt of the task.</summary>
    public void CancelControls()
    {
        ref TaskCell cell = ref Cell;
        Volatile.Read(ref cell.Control)?.Cancel();
        if (Lanes > 1)
        {
            LaneControl[] others = cell.Extra!.Lanes!.Others;
            for (int i = 0; i < others.Length; i++)
            {
                Volatile.Read(ref others[i].Control)?.Cancel();
            }
        }
    }

    public bool IsFinal => Volatile.Read(ref Cell.Final) != 0;

    /// <summary>When the first attempt started, UTC ticks; 0 before.</summary>
    public long StartedTicks => Volatile.Read(ref Cell.StartedTicks);

    /// <summary>Whether the task's only attempt succeeded and is recorded as <see cref="SoloDurationTicks"/> alone.</summary>
    public bool HasSoloAttempt => Volatile.Read(ref Cell.HasSoloAttempt) != 0;

    /// <summary>The duration of that attempt, in ticks (read after <see cref="HasSoloAttempt"/>).</summary>
    public long SoloDurationTicks => Volatile.Read(ref Cell.SoloDurationTicks);

    public TaskState State => (TaskState)Volatile.Read(ref Cell.State);

    private DateTimeOffset? StartedAt
    {
        get
        {
            long ticks = Volatile.Read(ref Cell.StartedTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Fetches the task's cell into the cache ahead of its first use (see <see cref="CacheHint"/>).</summary>
    public void Prefetch() => CacheHint.Prefetch(ref Cell);

    public void SetState(TaskState state)
    {
        ref TaskCell cell = ref Cell;
        if (Volatile.Read(ref cell.Final) == 0)
        {
            Volatile.Write(ref cell.State, (int)state);
        }
    }

    /// <summary>An attempt started at <paramref name="now"/>: the task is running (unless it already ended), and its
    /// start is recorded if this is its first attempt.</summary>
    public void Begin(DateTimeOffset now)
    {
        ref TaskCell cell = ref Cell;
        if (Volatile.Read(ref cell.Final) == 0)
        {
            Volatile.Write(ref cell.State, (int)TaskState.Running);
        }

        MarkStarted(ref cell, now);
    }

    /// <summary>Records when the first attempt started; later attempts leave it alone.</summary>
    private void MarkStarted(ref TaskCell cell, DateTimeOffset now)
    {
        if (Volatile.Read(ref cell.StartedTicks) != 0)
        {
            return;
        }

        if (Lanes == 1)
        {
            // One agent: its attempts run one after another, so no other attempt can be starting now.
            Volatile.Write(ref cell.StartedTicks, now.UtcTicks);
        }
        else
        {
            Interlocked.CompareExchange(ref cell.StartedTicks, now.UtcTicks, 0);
        }
    }

    /// <summary>Records a successful attempt without building its object, when it is the task's only attempt: a
    /// single-agent task, first attempt, not yet final. Otherwise does nothing and returns <see langword="false"/>,
    /// and the caller records the attempt with <see cref="AddAttempt(AttemptResult)"/>.</summary>
    /// <remarks>Called by the one worker running the task's only lane, before it finalizes the task, so no other
    /// attempt can be added meanwhile.</remarks>
    public bool TryRecordSoloSuccess(int attempt, int lane, TimeSpan duration)
    {
        ref TaskCell cell = ref Cell;
        if (attempt != 1 || lane != 0 || Lanes != 1 || Volatile.Read(ref cell.Final) != 0 || AttemptsOf(ref cell).Length != 0)
        {
            return false;
        }

        cell.SoloDurationTicks = duration.Ticks;
        // Published after the duration: the live status reads them in the other order (see RunTracker).
        Volatile.Write(ref cell.HasSoloAttempt, 1);
        return true;
    }

    public void AddAttempt(AttemptResult attempt)
    {
        TaskExtra extra = Extra();
        AttemptResult[] current = Volatile.Read(ref extra.Attempts);
        while (true)
        {
            AttemptResult[] seen = Interlocked.CompareExchange(ref extra.Attempts, [.. current, attempt], current);
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
        ref TaskCell cell = ref Cell;
        if (Interlocked.CompareExchange(ref cell.Final, 1, 0) != 0)
        {
            return false;
        }

        if (error is not null || summary is not null)
        {
            TaskExtra extra = Extra();
            extra.Error = error;
            extra.Summary = summary;
        }

        cell.CompletedTicks = now.UtcTicks;
        Volatile.Write(ref cell.State, (int)state);
        Volatile.Write(ref cell.Ended, 1);
        return true;
    }

    /// <summary>The task's result so far; once the task is final, the same object until another attempt ends.</summary>
    public TaskResult ToResult()
    {
        ref TaskCell cell = ref Cell;
        if (Volatile.Read(ref cell.Ended) == 0)
        {
            // Only reached for a task that has not ended, which a run's result never holds.
            return new TaskResult { TaskId = Task.Id, State = State, Attempts = AttemptsOf(ref cell), StartedAt = StartedAt };
        }

        TaskExtra extra = Extra();
        TaskResult? result = Volatile.Read(ref extra.Result);
        if (result is not null && (cell.HasSoloAttempt != 0 || ReferenceEquals(result.Attempts, Volatile.Read(ref extra.Attempts))))
        {
            return result;
        }

        // Built for the first time, or an attempt ended after the task did (a losing sibling, cancelled): refresh.
        TaskResult built = Build(ref cell, extra);
        TaskResult? seen = Interlocked.CompareExchange(ref extra.Result, built, result);
        return ReferenceEquals(seen, result) ? built : seen!;
    }

    private TaskResult Build(ref TaskCell cell, TaskExtra extra)
    {
        DateTimeOffset? started = StartedAt;
        var completed = new DateTimeOffset(cell.CompletedTicks, TimeSpan.Zero);
        AttemptResult[] attempts = cell.HasSoloAttempt != 0
            ?
            [
                new AttemptResult
                {
                    Attempt = 1,
                    Lane = 0,
                    Status = AttemptStatus.Succeeded,
                    StartedAt = started ?? completed,
                    Duration = TimeSpan.FromTicks(cell.SoloDurationTicks),
                    Summary = extra.Summary,
                },
            ]
            : Volatile.Read(ref extra.Attempts);
        return new TaskResult
        {
            TaskId = Task.Id,
            State = State,
            Attempts = attempts,
            StartedAt = started,
            CompletedAt = completed,
            Duration = started is { } s ? completed - s : TimeSpan.Zero,
            Error = extra.Error,
            Summary = extra.Summary,
        };
    }

    private static AttemptResult[] AttemptsOf(ref TaskCell cell) =>
        Volatile.Read(ref cell.Extra) is { } extra ? Volatile.Read(ref extra.Attempts) : [];

    /// <summary>The task's <see cref="TaskExtra"/>, made by whichever caller first needs it.</summary>
    private TaskExtra Extra()
    {
        ref TaskCell cell = ref Cell;
        TaskExtra? extra = Volatile.Read(ref cell.Extra);
        if (extra is null)
        {
            var made = new TaskExtra();
            extra = Interlocked.CompareExchange(ref cell.Extra, made, null) ?? made;
        }

        return extra;
    }
}
