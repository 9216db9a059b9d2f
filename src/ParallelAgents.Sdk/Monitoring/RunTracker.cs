using System.Globalization;

namespace ParallelAgents.Sdk;

/// <summary>The live record of one run's agents, kept by <see cref="StatusObserver"/>. Agents get their
/// <see cref="LaneTracker"/> when their first attempt starts, so a run pays nothing per task before then.</summary>
internal sealed class RunTracker
{
    private readonly LaneTracker?[] _lanes;
    private readonly int[]? _offsets;
    private readonly int[] _taskEnded;
    private readonly IReadOnlyList<string>?[] _mergedFiles;
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

        _lanes = new LaneTracker?[total];
        _taskEnded = new int[tasks.Count];
        _mergedFiles = new IReadOnlyList<string>?[tasks.Count];
    }

    public string RunId { get; }

    public TaskPlan Plan { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>When the run ended, or <see langword="null"/> while it runs.</summary>
    public DateTimeOffset? EndedAt
    {
        get
        {
            long ticks = Interlocked.Read(ref _endedTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public void End(DateTimeOffset at) => Interlocked.Exchange(ref _endedTicks, Math.Max(1, at.UtcTicks));

    /// <summary>The agent's tracker, made on first use; <see langword="null"/> for a lane the plan does not have.</summary>
    public LaneTracker? Lane(int taskIndex, int lane)
    {
        if ((uint)taskIndex >= (uint)_taskEnded.Length || lane < 0 || lane >= Plan.Tasks[taskIndex].AgentCount)
        {
            return null;
        }

        int slot = (_offsets?[taskIndex] ?? taskIndex) + lane;
        LaneTracker? tracker = Volatile.Read(ref _lanes[slot]);
        if (tracker is not null)
        {
            return tracker;
        }

        AgentTask task = Plan.Tasks[taskIndex];
        var made = new LaneTracker(Name(task, lane), task.Id, lane);
        return Interlocked.CompareExchange(ref _lanes[slot], made, null) ?? made;
    }

    /// <summary>The agent's tracker by task id, as progress reports name it (a rerun's task is a copy of the plan's).</summary>
    public LaneTracker? Lane(string taskId, int lane) =>
        Plan.TryGetTask(taskId, out _) ? Lane(Plan.IndexOf(taskId), lane) : null;

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
            Volatile.Write(ref _mergedFiles[Plan.IndexOf(taskId)], [.. files.Select(redact)]);
        }
    }

    /// <summary>Every agent's status at <paramref name="now"/> (the run's end once it ended), in the plan's order.</summary>
    public RunStatus Snapshot(DateTimeOffset now, TimeSpan idleThreshold)
    {
        DateTimeOffset? ended = EndedAt;
        DateTimeOffset at = ended ?? now;
        var agents = new List<AgentStatus>(_lanes.Length);
        int active = 0, running = 0, files = 0, tools = 0;
        long input = 0, output = 0;
        decimal cost = 0m;
        for (int t = 0; t < Plan.Tasks.Count; t++)
        {
            AgentTask task = Plan.Tasks[t];
            int endedState = Volatile.Read(ref _taskEnded[t]);
            for (int lane = 0; lane < task.AgentCount; lane++)
            {
                LaneTracker? tracker = Volatile.Read(ref _lanes[(_offsets?[t] ?? t) + lane]);
                AgentStatus status = tracker?.Snapshot(at, idleThreshold, Volatile.Read(ref _mergedFiles[t]))
                    ?? LaneTracker.NotStarted(Name(task, lane), task.Id, lane, NotStartedState(endedState));
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

    /// <summary>The state of an agent that never started: pending while its task has not ended, else its task's final
    /// state, except that a lane whose task another lane did succeed was cancelled, not successful.</summary>
    private static TaskState NotStartedState(int endedState) => endedState switch
    {
        0 => TaskState.Pending,
        _ when (TaskState)(endedState - 1) == TaskState.Succeeded => TaskState.Cancelled,
        _ => (TaskState)(endedState - 1),
    };

    /// <summary>An agent's name: its task's id, or <c>id+n</c> as its branch when the task has several agents.</summary>
    public static string Name(AgentTask task, int lane) =>
        task.AgentCount == 1 ? task.Id : string.Create(CultureInfo.InvariantCulture, $"{task.Id}+{lane + 1}");
}
