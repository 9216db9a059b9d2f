using System.Globalization;
using System.Runtime.CompilerServices;

namespace ParallelAgents.Sdk;

/// <summary>
/// The live record of one run's agents, kept by <see cref="StatusObserver"/>: one <see cref="LaneSlot"/> per agent, in
/// chunks made when their first agent starts, and a <see cref="LaneDetail"/> only for agents that report something, so
/// that an attempt of an agent that reports nothing allocates nothing here (the dispatch benchmark runs 10,000 of them).
/// </summary>
/// <remarks>A slot's own fields are written by the worker running its lane's attempt without a lock or an interlocked
/// instruction, its state last (see <see cref="LaneSlot"/>). Chunks of <see cref="ChunkSize"/> slots stay below the large object heap's threshold: a run of ten
/// thousand tasks in one array made a large object per run, which the collector only frees in a full collection.</remarks>
internal sealed class RunTracker
{
    private const int ChunkShift = 9;

    /// <summary>Slots per chunk: 512 slots of 48 bytes, 24 KB.</summary>
    internal const int ChunkSize = 1 << ChunkShift;

    private readonly LaneSlot[]?[] _chunks;
    private readonly int _slotCount;
    private readonly int[]? _offsets;
    private readonly int[]? _taskEnded;
    private readonly int _taskCount;

    // A run of the engine: the first attempt of a single-agent task is not written here while it runs and when it
    // succeeds; its status is read from the task's state instead (see Agent), so the common attempt costs the tracker
    // nothing. Anything else about a lane (another attempt, a failure, a report) is written as before.
    private readonly TaskStates? _states;
    private IReadOnlyList<string>?[]? _mergedFiles;
    private long _endedTicks;

    /// <param name="runId">The run.</param>
    /// <param name="plan">Its plan.</param>
    /// <param name="startedAt">When it started.</param>
    /// <param name="states">The run's task states, when the engine runs it: what they already say is not written
    /// again here.</param>
    public RunTracker(string runId, TaskPlan plan, DateTimeOffset startedAt, TaskStates? states = null)
    {
        RunId = runId;
        Plan = plan;
        StartedAt = startedAt;
        IReadOnlyList<AgentTask> tasks = plan.Tasks;
        int total = tasks.Count;
        // Lane i of task t is at _offsets[t] + i; with one agent per task (the usual plan) that is t, with no table.
        // Read from the plan's graph, side by side, not from each task object.
        TaskTraits[] traits = plan.Graph.Traits;
        for (int t = 0; t < traits.Length; t++)
        {
            if (traits[t].Lanes != 1)
            {
                _offsets = new int[tasks.Count + 1];
                total = 0;
                for (int u = 0; u < tasks.Count; u++)
                {
                    _offsets[u] = total;
                    total += tasks[u].AgentCount;
                }

                _offsets[tasks.Count] = total;
                break;
            }
        }

        _slotCount = total;
        _chunks = new LaneSlot[]?[(total + ChunkSize - 1) >> ChunkShift];
        _taskCount = tasks.Count;
        _states = states;
        if (states is null)
        {
            _taskEnded = new int[tasks.Count];
        }
    }

    public string RunId { get; }

    public TaskPlan Plan { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>When the run ended, or <see langword="null"/> while it runs.</summary>
    public DateTimeOffset? EndedAt => Time(Interlocked.Read(ref _endedTicks));

    public void End(DateTimeOffset at) => Interlocked.Exchange(ref _endedTicks, Math.Max(1, at.UtcTicks));

    /// <summary>The slot of a lane, or -1 for a lane the plan does not have.</summary>
    public int Slot(int taskIndex, int lane)
    {
        if ((uint)taskIndex >= (uint)_taskCount)
        {
            return -1;
        }

        if (_offsets is null)
        {
            return lane == 0 ? taskIndex : -1;
        }

        int slot = _offsets[taskIndex] + lane;
        return lane >= 0 && slot < _offsets[taskIndex + 1] ? slot : -1;
    }

    /// <summary>The slot of a lane by its task's id, as progress reports name it (a rerun's task is a copy of the plan's).</summary>
    public int Slot(string taskId, int lane) => Plan.TryGetTask(taskId, out _) ? Slot(Plan.IndexOf(taskId), lane) : -1;

    /// <summary>Whether the lane's status is read from the task's state while <paramref name="attempt"/> runs: the
    /// first attempt of a single-agent task in a run of the engine.</summary>
    private bool IsReadFromState(int taskIndex, int lane, int attempt) =>
        _states is not null && attempt == 1 && lane == 0 && _offsets is null && (uint)taskIndex < (uint)_taskCount;

    public void AttemptStarted(int taskIndex, int lane, int slot, int attempt, DateTimeOffset at)
    {
        if (IsReadFromState(taskIndex, lane, attempt))
        {
            return;
        }

        ref LaneSlot s = ref Write(slot);
        long ticks = at.UtcTicks;
        Volatile.Write(ref s.Attempt, attempt);
        Volatile.Write(ref s.AttemptStartedTicks, ticks);
        Volatile.Write(ref s.EndedTicks, 0);
        if (s.StartedTicks == 0)
        {
            Volatile.Write(ref s.StartedTicks, ticks);
        }

        // Plainly, not with MoveForward's interlocked loop: a report racing with the attempt's start or end may lose
        // some microseconds of its time, which an idle check measured in seconds does not see.
        if (s.LastActivityTicks < ticks)
        {
            Volatile.Write(ref s.LastActivityTicks, ticks);
        }

        SetState(ref s, TaskState.Running);
    }

    /// <summary>Records a report at <paramref name="at"/>; returns its description (<see cref="AgentStatus.LastAction"/>).</summary>
    public string Progress(int slot, AgentProgress progress, DateTimeOffset at, Func<string, string> redact)
    {
        // Redacted outside the lock: the redactor's cost must not hold up a snapshot.
        string action = LaneDetail.Describe(progress, redact);
        string? path = progress.Kind == AgentProgressKind.FileChanged && !string.IsNullOrEmpty(progress.Path) ? redact(progress.Path) : null;
        ref LaneSlot s = ref Write(slot);
        MoveForward(ref s.LastActivityTicks, at.UtcTicks);
        LaneDetail detail = DetailOf(ref s);
        lock (detail)
        {
            detail.Record(progress, action, path);
        }

        return action;
    }

    public void AddFiles(int slot, IReadOnlyList<string> files, Func<string, string> redact)
    {
        string[] clean = [.. files.Select(redact)];
        LaneDetail detail = DetailOf(ref Write(slot));
        lock (detail)
        {
            foreach (string file in clean)
            {
                detail.AddFile(file);
            }
        }
    }

    public void AttemptEnded(int taskIndex, int lane, int slot, int attempt, AttemptStatus status, TimeSpan duration, AgentUsage? usage)
    {
        bool fromState = IsReadFromState(taskIndex, lane, attempt);
        if (fromState && status == AttemptStatus.Succeeded && usage is null && _states![taskIndex].HasSoloAttempt && IsUntouched(slot))
        {
            // A success the task's state records whole, with nothing reported: nothing to write (nor a chunk to make).
            return;
        }

        ref LaneSlot s = ref Write(slot);
        if (fromState && Volatile.Read(ref s.Attempt) == 0)
        {
            // The start that was not written is written now, from the task's state, before the end.
            long started = _states![taskIndex].StartedTicks;
            Volatile.Write(ref s.Attempt, attempt);
            Volatile.Write(ref s.AttemptStartedTicks, started);
            Volatile.Write(ref s.StartedTicks, started);
            if (s.LastActivityTicks < started)
            {
                Volatile.Write(ref s.LastActivityTicks, started);
            }
        }

        long ended = s.AttemptStartedTicks + duration.Ticks;
        Volatile.Write(ref s.EndedTicks, ended);
        if (s.LastActivityTicks < ended)
        {
            Volatile.Write(ref s.LastActivityTicks, ended);
        }

        if (usage is not null || Volatile.Read(ref s.Detail) is not null)
        {
            LaneDetail detail = DetailOf(ref s);
            lock (detail)
            {
                detail.EndAttempt(usage);
            }
        }

        SetState(ref s, status switch
        {
            AttemptStatus.Succeeded => TaskState.Succeeded,
            AttemptStatus.Cancelled => TaskState.Cancelled,
            _ => TaskState.Failed,
        });
    }

    /// <summary>Publishes the slot's state after everything written before it.</summary>
    private static void SetState(ref LaneSlot s, TaskState state) => Volatile.Write(ref Unsafe.As<TaskState, int>(ref s.State), (int)state);

    /// <summary>Records a task's final state, which its lanes that never started take (a run of the engine reads it
    /// from the task's state instead).</summary>
    public void TaskEnded(int taskIndex, TaskState state)
    {
        if (_taskEnded is not null && (uint)taskIndex < (uint)_taskEnded.Length)
        {
            Volatile.Write(ref _taskEnded[taskIndex], (int)state + 1);
        }
    }

    public void Merged(string taskId, IReadOnlyList<string> files, Func<string, string> redact)
    {
        if (files.Count > 0 && Plan.TryGetTask(taskId, out _))
        {
            // Made at the first merge: a run without a repository never needs it.
            IReadOnlyList<string>?[]? merged = Volatile.Read(ref _mergedFiles);
            if (merged is null)
            {
                var made = new IReadOnlyList<string>?[_taskCount];
                merged = Interlocked.CompareExchange(ref _mergedFiles, made, null) ?? made;
            }

            Volatile.Write(ref merged[Plan.IndexOf(taskId)], [.. files.Select(redact)]);
        }
    }

    /// <summary>Every agent's status at <paramref name="now"/> (the run's end once it ended), in the plan's order.</summary>
    public RunStatus Snapshot(DateTimeOffset now, TimeSpan idleThreshold)
    {
        DateTimeOffset? ended = EndedAt;
        DateTimeOffset at = ended ?? now;
        var agents = new List<AgentStatus>(_slotCount);
        int active = 0, running = 0, files = 0, tools = 0;
        long input = 0, output = 0;
        decimal cost = 0m;
        for (int t = 0; t < Plan.Tasks.Count; t++)
        {
            for (int lane = 0; lane < Plan.Tasks[t].AgentCount; lane++)
            {
                AgentStatus status = Agent(t, lane, at, idleThreshold);
                agents.Add(status);
                active += status.IsActive ? 1 : 0;
                running += status.State == TaskState.Running ? 1 : 0;
                files += status.FilesChanged.Count;
                tools += status.ToolCalls;
                input += status.InputTokens;
                output += status.OutputTokens;
                cost += status.Cost;
            }
        }

        return new RunStatus
        {
            RunId = RunId,
            Timestamp = now,
            IsRunning = ended is null,
            StartedAt = StartedAt,
            Elapsed = at > StartedAt ? at - StartedAt : TimeSpan.Zero,
            Agents = agents,
            Summary = new RunStatusSummary
            {
                TotalAgents = agents.Count,
                ActiveAgents = active,
                RunningAgents = running,
                TotalFiles = files,
                ToolCalls = tools,
                InputTokens = input,
                OutputTokens = output,
                Cost = cost,
            },
        };
    }

    /// <summary>One agent's status at <paramref name="now"/>.</summary>
    public AgentStatus Agent(int taskIndex, int lane, DateTimeOffset now, TimeSpan idleThreshold)
    {
        AgentTask task = Plan.Tasks[taskIndex];
        int slot = (_offsets?[taskIndex] ?? taskIndex) + lane;
        IReadOnlyList<string>?[]? mergedFiles = Volatile.Read(ref _mergedFiles);
        IReadOnlyList<string>? merged = mergedFiles is null ? null : Volatile.Read(ref mergedFiles[taskIndex]);
        LaneSlot s = Read(slot);
        if (s.Attempt == 0 && _states is not null && lane == 0 && _offsets is null)
        {
            s = FromState(_states[taskIndex], s);
        }

        if (s.Attempt == 0)
        {
            return new AgentStatus { Name = Name(task, lane), TaskId = task.Id, Lane = lane, State = NotStartedState(EndedState(taskIndex)) };
        }

        LaneDetail? d = s.Detail;
        IReadOnlyList<string> files;
        string? lastAction;
        int tools;
        long input, output;
        decimal cost;
        if (d is null)
        {
            files = s.State == TaskState.Succeeded ? Files(merged) : [];
            (lastAction, tools, input, output, cost) = (null, 0, 0, 0, 0m);
        }
        else
        {
            lock (d)
            {
                files = d.Files(s.State == TaskState.Succeeded ? merged : null);
                (lastAction, tools, input, output, cost) = (d.LastAction, d.DoneTools + d.Tools, d.DoneInput + d.Input, d.DoneOutput + d.Output, d.DoneCost + d.Cost);
            }
        }

        bool running = s.State == TaskState.Running;
        long end = running || s.EndedTicks == 0 ? now.UtcTicks : s.EndedTicks;
        return new AgentStatus
        {
            Name = Name(task, lane),
            TaskId = task.Id,
            Lane = lane,
            State = s.State,
            Attempt = s.Attempt,
            FilesChanged = files,
            LastActivity = Time(s.LastActivityTicks),
            LastAction = lastAction,
            IsActive = running && s.LastActivityTicks != 0 && now.UtcTicks - s.LastActivityTicks < idleThreshold.Ticks,
            ToolCalls = tools,
            InputTokens = input,
            OutputTokens = output,
            Cost = cost,
            StartedAt = Time(s.StartedTicks),
            Elapsed = TimeSpan.FromTicks(Math.Max(0, end - s.StartedTicks)),
        };
    }

    /// <summary>0 while the task has not ended, else its final state + 1.</summary>
    private int EndedState(int taskIndex)
    {
        if (_taskEnded is not null)
        {
            return Volatile.Read(ref _taskEnded[taskIndex]);
        }

        TaskRuntime runtime = _states![taskIndex];
        return runtime.IsFinal ? (int)runtime.State + 1 : 0;
    }

    /// <summary>The status of a single-agent task's first attempt, which the tracker did not write (see
    /// <see cref="IsReadFromState"/>), from the task's state and what the agent reported (<paramref name="slot"/>'s
    /// activity and detail).</summary>
    private static LaneSlot FromState(TaskRuntime runtime, LaneSlot slot)
    {
        long started = runtime.StartedTicks;
        if (started == 0)
        {
            return slot;
        }

        // A recorded success is the attempt's end; otherwise it is still running (an end that is not a recorded
        // success is written to the slot).
        long ended = runtime.HasSoloAttempt ? started + runtime.SoloDurationTicks : 0;
        return new LaneSlot
        {
            State = ended == 0 ? TaskState.Running : TaskState.Succeeded,
            Attempt = 1,
            StartedTicks = started,
            AttemptStartedTicks = started,
            EndedTicks = ended,
            LastActivityTicks = Math.Max(slot.LastActivityTicks, Math.Max(started, ended)),
            Detail = slot.Detail,
        };
    }

    /// <summary>Whether nothing was written to the slot (no attempt, no report), without making its chunk.</summary>
    private bool IsUntouched(int slot)
    {
        LaneSlot[]? chunk = Volatile.Read(ref _chunks[slot >> ChunkShift]);
        if (chunk is null)
        {
            return true;
        }

        ref LaneSlot s = ref chunk[slot & (ChunkSize - 1)];
        return Volatile.Read(ref s.Attempt) == 0 && Volatile.Read(ref s.Detail) is null;
    }

    /// <summary>The slot, made with its chunk when its first agent starts.</summary>
    private ref LaneSlot Write(int slot)
    {
        LaneSlot[]? chunk = Volatile.Read(ref _chunks[slot >> ChunkShift]);
        if (chunk is null)
        {
            var made = new LaneSlot[Math.Min(ChunkSize, _slotCount - (slot & ~(ChunkSize - 1)))];
            chunk = Interlocked.CompareExchange(ref _chunks[slot >> ChunkShift], made, null) ?? made;
        }

        return ref chunk[slot & (ChunkSize - 1)];
    }

    /// <summary>A copy of the slot: its state first, then what was written before it.</summary>
    private LaneSlot Read(int slot)
    {
        LaneSlot[]? chunk = Volatile.Read(ref _chunks[slot >> ChunkShift]);
        if (chunk is null)
        {
            return default;
        }

        ref LaneSlot s = ref chunk[slot & (ChunkSize - 1)];
        return new LaneSlot
        {
            State = (TaskState)Volatile.Read(ref Unsafe.As<TaskState, int>(ref s.State)),
            Attempt = Volatile.Read(ref s.Attempt),
            StartedTicks = Volatile.Read(ref s.StartedTicks),
            AttemptStartedTicks = Volatile.Read(ref s.AttemptStartedTicks),
            EndedTicks = Volatile.Read(ref s.EndedTicks),
            LastActivityTicks = Volatile.Read(ref s.LastActivityTicks),
            Detail = Volatile.Read(ref s.Detail),
        };
    }

    private static LaneDetail DetailOf(ref LaneSlot s)
    {
        LaneDetail? detail = Volatile.Read(ref s.Detail);
        if (detail is null)
        {
            var made = new LaneDetail();
            detail = Interlocked.CompareExchange(ref s.Detail, made, null) ?? made;
        }

        return detail;
    }

    /// <summary>Sets <paramref name="ticks"/> to <paramref name="value"/> unless it is already later.</summary>
    private static void MoveForward(ref long ticks, long value)
    {
        long seen = Volatile.Read(ref ticks);
        while (seen < value)
        {
            long previous = Interlocked.CompareExchange(ref ticks, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    /// <summary>An agent's name: its task's id, or <c>id+n</c> as its branch when the task has several agents.</summary>
    public static string Name(AgentTask task, int lane) =>
        task.AgentCount == 1 ? task.Id : string.Create(CultureInfo.InvariantCulture, $"{task.Id}+{lane + 1}");

    private static IReadOnlyList<string> Files(IReadOnlyList<string>? merged) =>
        merged is { Count: > 0 } ? [.. merged.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)] : [];

    /// <summary>The state of an agent that never started: pending while its task has not ended, else its task's final
    /// state, except that a lane whose task another lane did succeed was cancelled, not successful.</summary>
    private static TaskState NotStartedState(int endedState) => endedState switch
    {
        0 => TaskState.Pending,
        _ when (TaskState)(endedState - 1) == TaskState.Succeeded => TaskState.Cancelled,
        _ => (TaskState)(endedState - 1),
    };

    private static DateTimeOffset? Time(long utcTicks) => utcTicks == 0 ? null : new DateTimeOffset(utcTicks, TimeSpan.Zero);
}
