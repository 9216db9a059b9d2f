using System.Globalization;

namespace ParallelAgents.Sdk;

/// <summary>
/// The live record of one run's agents, kept by <see cref="StatusObserver"/>: one <see cref="LaneSlot"/> per agent in
/// one array made when the run starts, and a <see cref="LaneDetail"/> only for agents that report something, so that an
/// attempt of an agent that reports nothing allocates nothing here (the dispatch benchmark runs 10,000 of them).
/// </summary>
/// <remarks>A slot is changed by its agent's worker and its progress reports, and read by snapshots, from any thread:
/// every access takes one of a few locks, chosen by the slot's index, which keeps contention low without a lock object
/// per agent.</remarks>
internal sealed class RunTracker
{
    private const int LockCount = 32;

    private readonly LaneSlot[] _slots;
    private readonly int[]? _offsets;
    private readonly int[] _taskEnded;
    private IReadOnlyList<string>?[]? _mergedFiles;
    private readonly object[] _locks;
    private long _endedTicks;

    public RunTracker(string runId, TaskPlan plan, DateTimeOffset startedAt)
    {
        RunId = runId;
        Plan = plan;
        StartedAt = startedAt;
        IReadOnlyList<AgentTask> tasks = plan.Tasks;
        int total = tasks.Count;
        // Lane i of task t is at _offsets[t] + i; with one agent per task (the usual plan) that is t, with no table.
        for (int t = 0; t < tasks.Count; t++)
        {
            if (tasks[t].AgentCount != 1)
            {
                _offsets = new int[tasks.Count];
                total = 0;
                for (int u = 0; u < tasks.Count; u++)
                {
                    _offsets[u] = total;
                    total += tasks[u].AgentCount;
                }

                break;
            }
        }

        _slots = new LaneSlot[total];
        _taskEnded = new int[tasks.Count];
        _locks = new object[Math.Min(LockCount, Math.Max(1, total))];
        for (int i = 0; i < _locks.Length; i++)
        {
            _locks[i] = new object();
        }
    }

    public string RunId { get; }

    public TaskPlan Plan { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>When the run ended, or <see langword="null"/> while it runs.</summary>
    public DateTimeOffset? EndedAt => Time(Interlocked.Read(ref _endedTicks));

    public void End(DateTimeOffset at) => Interlocked.Exchange(ref _endedTicks, Math.Max(1, at.UtcTicks));

    /// <summary>The slot of a lane, or -1 for a lane the plan does not have.</summary>
    public int Slot(int taskIndex, int lane) =>
        (uint)taskIndex < (uint)_taskEnded.Length && lane >= 0 && lane < Plan.Tasks[taskIndex].AgentCount
            ? (_offsets?[taskIndex] ?? taskIndex) + lane
            : -1;

    /// <summary>The slot of a lane by its task's id, as progress reports name it (a rerun's task is a copy of the plan's).</summary>
    public int Slot(string taskId, int lane) => Plan.TryGetTask(taskId, out _) ? Slot(Plan.IndexOf(taskId), lane) : -1;

    public void AttemptStarted(int slot, int attempt, DateTimeOffset at)
    {
        lock (_locks[slot % _locks.Length])
        {
            ref LaneSlot s = ref _slots[slot];
            s.State = TaskState.Running;
            s.Attempt = attempt;
            s.AttemptStartedTicks = at.UtcTicks;
            s.StartedTicks = s.StartedTicks == 0 ? at.UtcTicks : s.StartedTicks;
            s.EndedTicks = 0;
            s.LastActivityTicks = at.UtcTicks;
        }
    }

    /// <summary>Records a report at <paramref name="at"/>; returns its description (<see cref="AgentStatus.LastAction"/>).</summary>
    public string Progress(int slot, AgentProgress progress, DateTimeOffset at, Func<string, string> redact)
    {
        // Redacted outside the lock: the redactor's cost must not hold up a snapshot.
        string action = LaneDetail.Describe(progress, redact);
        string? path = progress.Kind == AgentProgressKind.FileChanged && !string.IsNullOrEmpty(progress.Path) ? redact(progress.Path) : null;
        lock (_locks[slot % _locks.Length])
        {
            ref LaneSlot s = ref _slots[slot];
            s.LastActivityTicks = Math.Max(s.LastActivityTicks, at.UtcTicks);
            (s.Detail ??= new LaneDetail()).Record(progress, action, path);
        }

        return action;
    }

    public void AddFiles(int slot, IReadOnlyList<string> files, Func<string, string> redact)
    {
        string[] clean = [.. files.Select(redact)];
        lock (_locks[slot % _locks.Length])
        {
            LaneDetail detail = _slots[slot].Detail ??= new LaneDetail();
            foreach (string file in clean)
            {
                detail.AddFile(file);
            }
        }
    }

    public void AttemptEnded(int slot, AttemptStatus status, TimeSpan duration, AgentUsage? usage)
    {
        lock (_locks[slot % _locks.Length])
        {
            ref LaneSlot s = ref _slots[slot];
            s.State = status switch
            {
                AttemptStatus.Succeeded => TaskState.Succeeded,
                AttemptStatus.Cancelled => TaskState.Cancelled,
                _ => TaskState.Failed,
            };
            s.EndedTicks = s.AttemptStartedTicks + duration.Ticks;
            s.LastActivityTicks = Math.Max(s.LastActivityTicks, s.EndedTicks);
            if (usage is not null || s.Detail is not null)
            {
                (s.Detail ??= new LaneDetail()).EndAttempt(usage);
            }
        }
    }

    public void TaskEnded(int taskIndex, TaskState state)
    {
        if ((uint)taskIndex < (uint)_taskEnded.Length)
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
                var made = new IReadOnlyList<string>?[_taskEnded.Length];
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
        var agents = new List<AgentStatus>(_slots.Length);
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
        lock (_locks[slot % _locks.Length])
        {
            LaneSlot s = _slots[slot];
            if (s.Attempt == 0)
            {
                return new AgentStatus { Name = Name(task, lane), TaskId = task.Id, Lane = lane, State = NotStartedState(Volatile.Read(ref _taskEnded[taskIndex])) };
            }

            LaneDetail? d = s.Detail;
            bool running = s.State == TaskState.Running;
            long end = running || s.EndedTicks == 0 ? now.UtcTicks : s.EndedTicks;
            return new AgentStatus
            {
                Name = Name(task, lane),
                TaskId = task.Id,
                Lane = lane,
                State = s.State,
                Attempt = s.Attempt,
                FilesChanged = s.State == TaskState.Succeeded ? d?.Files(merged) ?? Files(merged) : d?.Files(null) ?? [],
                LastActivity = Time(s.LastActivityTicks),
                LastAction = d?.LastAction,
                IsActive = running && s.LastActivityTicks != 0 && now.UtcTicks - s.LastActivityTicks < idleThreshold.Ticks,
                ToolCalls = d is null ? 0 : d.DoneTools + d.Tools,
                InputTokens = d is null ? 0 : d.DoneInput + d.Input,
                OutputTokens = d is null ? 0 : d.DoneOutput + d.Output,
                Cost = d is null ? 0m : d.DoneCost + d.Cost,
                StartedAt = Time(s.StartedTicks),
                Elapsed = TimeSpan.FromTicks(Math.Max(0, end - s.StartedTicks)),
            };
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
