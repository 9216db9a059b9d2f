using System.Globalization;

namespace ParallelAgents.Sdk;

/// <summary>
/// What the live table shows, filled from the engine's events (the agents' progress reports among them) and from
/// <see cref="AgentEngine.GetStatus"/>: one row per task, the merges, the conflicts predicted and not yet cleared. Thread-safe: events are applied
/// on the watcher's thread while the table is drawn on the console's.
/// </summary>
internal sealed class AgentStatusModel
{
    private readonly object _gate = new();
    private readonly List<TaskRow> _rows = [];
    private readonly Dictionary<string, TaskRow> _byId = new(StringComparer.Ordinal);
    private readonly List<MergeResult> _merges = [];
    private readonly Dictionary<string, ConflictForecast> _conflicts = new(StringComparer.Ordinal);
    private string? _runId;
    private DateTimeOffset? _startedAt;
    private DateTimeOffset? _endedAt;
    private long _dropped;

    /// <summary>Adds a row for every task of <paramref name="plan"/>, in plan order, so that tasks waiting for their
    /// dependencies show before their first event.</summary>
    public void AddPlan(TaskPlan plan)
    {
        lock (_gate)
        {
            foreach (AgentTask task in plan.Tasks)
            {
                Row(task.Id);
            }
        }
    }

    /// <summary>Takes one event into the model.</summary>
    /// <returns>What happened, as one line of text for a plain log (the task's id first for task events), or
    /// <see langword="null"/> for events not worth a line.</returns>
    public string? Apply(AgentEvent e)
    {
        lock (_gate)
        {
            switch (e.Kind)
            {
                case AgentEventKind.RunStarted:
                    _runId = e.RunId;
                    _startedAt = e.Timestamp;
                    return $"run {e.RunId} started";
                case AgentEventKind.RunCompleted:
                    _endedAt = e.Timestamp;
                    if (e.Result is { } result)
                    {
                        ApplyResult(result);
                        return result.ToString();
                    }

                    return $"run {e.RunId} completed";
                case AgentEventKind.EventsDropped:
                    _dropped += e.DroppedCount;
                    return $"{e.DroppedCount} events were lost (the console fell behind)";
                case AgentEventKind.BranchMerged or AgentEventKind.MergeFailed when e.Merge is { } merge:
                    _merges.Add(merge);
                    return Touch(Row(merge.TaskId), e.Timestamp, merge.ReachedMain
                        ? $"merged into main ({merge.Status}, {Files(merge.Files.Count)})"
                        : $"merge failed ({merge.Status}): {merge.Message}");
                case AgentEventKind.ConflictPredicted when e.Forecast is { } forecast:
                    _conflicts[forecast.MemoryKey] = forecast;
                    return Touch(Row(forecast.TaskId), e.Timestamp,
                        $"conflict predicted with {forecast.OtherTaskId ?? "main"} in {string.Join(", ", forecast.Conflicts.Select(c => c.Path))}");
                case AgentEventKind.ConflictCleared when e.Forecast is { } forecast:
                    _conflicts.Remove(forecast.MemoryKey);
                    return null;
                case AgentEventKind.AgentProgress when e.TaskId is not null && e.Progress is { } progress:
                    // The agent's status after the report holds its running totals; the report itself is the activity.
                    if (e.AgentStatus is { } status)
                    {
                        Row(e.TaskId).Lanes[status.Lane] = status;
                    }

                    return ApplyProgress(Row(e.TaskId), progress, e.Timestamp, counted: e.AgentStatus is not null);
                default:
                    return e.TaskId is null ? e.ToString() : ApplyTask(Row(e.TaskId), e);
            }
        }
    }

    /// <summary>Takes one of an agent's progress reports into its task's row, counting its tokens, tool call or file.</summary>
    /// <returns>The line that says what the agent did, the task's id first.</returns>
    public string Apply(string taskId, AgentProgress progress, DateTimeOffset at)
    {
        lock (_gate)
        {
            return ApplyProgress(Row(taskId), progress, at, counted: false);
        }
    }

    /// <summary>Takes the engine's status of every agent (<see cref="AgentEngine.GetStatus"/>): the totals of each
    /// task's agents, whatever events were lost.</summary>
    public void Apply(RunStatus status)
    {
        lock (_gate)
        {
            if (status.RunId is null || (_runId is not null && status.RunId != _runId))
            {
                return;
            }

            _runId = status.RunId;
            _startedAt ??= status.StartedAt;

            foreach (AgentStatus agent in status.Agents)
            {
                TaskRow row = Row(agent.TaskId);
                row.Lanes[agent.Lane] = agent;
                if (agent.LastActivity is { } at && at > row.ActivityAt)
                {
                    row.ActivityAt = at;
                    if (agent.LastAction is { } action)
                    {
                        row.Activity = action;
                    }
                }
            }
        }
    }

    /// <summary>Takes the run's final result: the truth for every task's state, whatever events were lost.</summary>
    public void ApplyResult(RunResult result)
    {
        lock (_gate)
        {
            _runId ??= result.RunId;
            _startedAt ??= result.StartedAt;
            _endedAt = result.CompletedAt;
            foreach (TaskResult task in result.Tasks)
            {
                TaskRow row = Row(task.TaskId);
                row.State = task.State;
                row.StartedAt ??= task.StartedAt;
                row.EndedAt = task.CompletedAt ?? row.EndedAt;
                row.Attempt = Math.Max(row.Attempt, task.Attempts.Count == 0 ? 0 : task.Attempts.Max(a => a.Attempt));
            }

            // Rows in plan order, whatever order the tasks' first events came in (a resumed run starts mid-plan).
            var order = result.Tasks.Select((t, i) => (t.TaskId, i)).ToDictionary(p => p.TaskId, p => p.i, StringComparer.Ordinal);
            _rows.Sort((a, b) => order.GetValueOrDefault(a.TaskId, int.MaxValue).CompareTo(order.GetValueOrDefault(b.TaskId, int.MaxValue)));
            foreach (MergeResult merge in result.Merges)
            {
                if (!_merges.Any(m => m.TaskId == merge.TaskId && m.Branch == merge.Branch && m.CompletedAt == merge.CompletedAt))
                {
                    _merges.Add(merge);
                }
            }
        }
    }

    /// <summary>A consistent copy of the model, as of <paramref name="now"/>.</summary>
    public StatusSnapshot Snapshot(DateTimeOffset now, TimeSpan idleAfter)
    {
        lock (_gate)
        {
            var rows = _rows.Select(r => new RowSnapshot(
                r.TaskId,
                r.State,
                r.Attempt,
                r.Activity,
                r.State is TaskState.Running ? (now - r.ActivityAt < idleAfter ? "active" : "idle") : "",
                r.ToolCalls + r.Lanes.Values.Sum(l => (long)l.ToolCalls),
                r.InputTokens + r.Lanes.Values.Sum(l => l.InputTokens),
                r.OutputTokens + r.Lanes.Values.Sum(l => l.OutputTokens),
                r.Cost + r.Lanes.Values.Sum(l => l.Cost),
                r.StartedAt is { } started ? (r.EndedAt ?? now) - started : null,
                r.Files.Union(r.Lanes.Values.SelectMany(l => l.FilesChanged), StringComparer.Ordinal).Count())).ToList();
            return new StatusSnapshot(
                _runId,
                _startedAt is { } at ? (_endedAt ?? now) - at : null,
                _endedAt is not null,
                rows,
                [.. _merges],
                [.. _conflicts.Values.OrderBy(c => c.TaskId, StringComparer.Ordinal)],
                _dropped);
        }
    }

    /// <summary>Counts a report into <paramref name="row"/> unless <paramref name="counted"/> says the row's lanes'
    /// totals (from the engine's status) already hold it.</summary>
    private static string ApplyProgress(TaskRow row, AgentProgress progress, DateTimeOffset at, bool counted)
    {
        switch (progress.Kind)
        {
            case AgentProgressKind.ModelCall:
                if (!counted)
                {
                    row.InputTokens += progress.InputTokens;
                    row.OutputTokens += progress.OutputTokens;
                    row.Cost += progress.Cost;
                }

                return Touch(row, at, string.Create(CultureInfo.InvariantCulture, $"model answered ({progress.InputTokens + progress.OutputTokens:N0} tokens)"));
            case AgentProgressKind.ToolCall:
                if (!counted)
                {
                    row.ToolCalls++;
                }

                return Touch(row, at, $"tool {progress.Name}{(progress.Succeeded == false ? " (failed)" : "")}");
            case AgentProgressKind.FileChanged when progress.Path is not null:
                row.Files.Add(progress.Path);
                return Touch(row, at, "changed " + progress.Path);
            case AgentProgressKind.CommandRun:
                return Touch(row, at, $"ran {progress.Name}{(progress.Succeeded == false ? " (failed)" : "")}");
            default:
                return Touch(row, at, progress.Message ?? progress.Kind.ToString());
        }
    }

    private static string ApplyTask(TaskRow row, AgentEvent e)
    {
        if (e.State is { } state)
        {
            row.State = state;
        }

        switch (e.Kind)
        {
            case AgentEventKind.TaskQueued:
                row.State = e.State ?? TaskState.Queued;
                Touch(row, e.Timestamp, "queued: waiting for an agent slot");
                break;
            case AgentEventKind.TaskStarted:
                row.State = e.State ?? TaskState.Running;
                row.StartedAt ??= e.Timestamp;
                row.Attempt = Math.Max(row.Attempt, e.Attempt ?? 1);
                Touch(row, e.Timestamp, $"started attempt {e.Attempt ?? 1}{(e.Lane is > 0 ? $" (agent {e.Lane + 1})" : "")}");
                break;
            case AgentEventKind.TaskRetrying:
                row.State = e.State ?? TaskState.Retrying;
                Touch(row, e.Timestamp, $"retrying{(e.Delay is { } d ? string.Create(CultureInfo.InvariantCulture, $" in {d.TotalSeconds:0.#}s") : "")}: {e.Message}");
                break;
            case AgentEventKind.AttemptFailed:
                Touch(row, e.Timestamp, $"attempt {e.Attempt} failed: {e.Message}");
                break;
            case AgentEventKind.TaskSucceeded:
                row.State = e.State ?? TaskState.Succeeded;
                row.EndedAt = e.Timestamp;
                Touch(row, e.Timestamp, "succeeded");
                break;
            case AgentEventKind.TaskFailed:
                row.State = e.State ?? TaskState.Failed;
                row.EndedAt = e.Timestamp;
                Touch(row, e.Timestamp, (row.State == TaskState.Rejected ? "rejected in review: " : "failed: ") + e.Message);
                break;
            case AgentEventKind.TaskSkipped:
                row.State = e.State ?? TaskState.Skipped;
                row.EndedAt = e.Timestamp;
                Touch(row, e.Timestamp, "skipped: " + e.Message);
                break;
            case AgentEventKind.TaskCancelled:
                row.State = e.State ?? TaskState.Cancelled;
                row.EndedAt ??= row.StartedAt is null ? null : e.Timestamp;
                Touch(row, e.Timestamp, "cancelled");
                break;
            default:
                Touch(row, e.Timestamp, e.Message ?? e.Kind.ToString());
                break;
        }

        return row.TaskId + ": " + row.Activity;
    }

    private static string Touch(TaskRow row, DateTimeOffset at, string activity)
    {
        row.Activity = activity.ReplaceLineEndings(" ").Trim();
        row.ActivityAt = at;
        return row.TaskId + ": " + row.Activity;
    }

    private static string Files(int count) => count == 1 ? "1 file" : $"{count} files";

    private TaskRow Row(string taskId)
    {
        if (!_byId.TryGetValue(taskId, out TaskRow? row))
        {
            row = new TaskRow(taskId);
            _byId.Add(taskId, row);
            _rows.Add(row);
        }

        return row;
    }

    private sealed class TaskRow(string taskId)
    {
        public string TaskId { get; } = taskId;

        public TaskState State { get; set; } = TaskState.Pending;

        public int Attempt { get; set; }

        public string Activity { get; set; } = "";

        public DateTimeOffset ActivityAt { get; set; }

        public long ToolCalls { get; set; }

        public long InputTokens { get; set; }

        public long OutputTokens { get; set; }

        public decimal Cost { get; set; }

        public DateTimeOffset? StartedAt { get; set; }

        public DateTimeOffset? EndedAt { get; set; }

        public HashSet<string> Files { get; } = new(StringComparer.Ordinal);

        /// <summary>The engine's latest status of each of the task's agents, by lane: their running totals.</summary>
        public Dictionary<int, AgentStatus> Lanes { get; } = [];
    }
}
