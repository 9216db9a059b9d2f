using System.Globalization;

namespace ParallelAgents.Sdk;

/// <summary>
/// What the live table shows, filled from the engine's events (and, when the engine streams them, the agents' progress
/// reports): one row per task, the merges, the conflicts predicted and not yet cleared. Thread-safe: events are applied
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
                default:
                    return e.TaskId is null ? e.ToString() : ApplyTask(Row(e.TaskId), e);
            }
        }
    }

    /// <summary>Takes one of an agent's progress reports into its task's row.</summary>
    public void Apply(string taskId, AgentProgress progress, DateTimeOffset at)
    {
        lock (_gate)
        {
            TaskRow row = Row(taskId);
            switch (progress.Kind)
            {
                case AgentProgressKind.ModelCall:
                    row.InputTokens += progress.InputTokens;
                    row.OutputTokens += progress.OutputTokens;
                    row.Cost += progress.Cost;
                    Touch(row, at, string.Create(CultureInfo.InvariantCulture, $"model answered ({progress.InputTokens + progress.OutputTokens:N0} tokens)"));
                    break;
                case AgentProgressKind.ToolCall:
                    row.ToolCalls++;
                    Touch(row, at, $"tool {progress.Name}{(progress.Succeeded == false ? " (failed)" : "")}");
                    break;
                case AgentProgressKind.FileChanged when progress.Path is not null:
                    row.Files.Add(progress.Path);
                    Touch(row, at, "changed " + progress.Path);
                    break;
                case AgentProgressKind.CommandRun:
                    Touch(row, at, $"ran {progress.Name}{(progress.Succeeded == false ? " (failed)" : "")}");
                    break;
                default:
                    Touch(row, at, progress.Message ?? progress.Kind.ToString());
                    break;
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
                r.ToolCalls,
                r.InputTokens,
                r.OutputTokens,
                r.Cost,
                r.StartedAt is { } started ? (r.EndedAt ?? now) - started : null,
                r.Files.Count)).ToList();
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

    private static string ApplyTask(TaskRow row, AgentEvent e)
    {
        if (e.State is { } state)
        {
            row.State = state;
        }

        switch (e.Kind)
        {
            case AgentEventKind.TaskQueued:
                row.State = TaskState.Queued;
                Touch(row, e.Timestamp, "queued: waiting for an agent slot");
                break;
            case AgentEventKind.TaskStarted:
                row.State = TaskState.Running;
                row.StartedAt ??= e.Timestamp;
                row.Attempt = Math.Max(row.Attempt, e.Attempt ?? 1);
                Touch(row, e.Timestamp, $"started attempt {e.Attempt ?? 1}{(e.Lane is > 0 ? $" (agent {e.Lane + 1})" : "")}");
                break;
            case AgentEventKind.TaskRetrying:
                row.State = TaskState.Retrying;
                Touch(row, e.Timestamp, $"retrying{(e.Delay is { } d ? string.Create(CultureInfo.InvariantCulture, $" in {d.TotalSeconds:0.#}s") : "")}: {e.Message}");
                break;
            case AgentEventKind.AttemptFailed:
                Touch(row, e.Timestamp, $"attempt {e.Attempt} failed: {e.Message}");
                break;
            case AgentEventKind.TaskSucceeded:
                row.State = TaskState.Succeeded;
                row.EndedAt = e.Timestamp;
                Touch(row, e.Timestamp, "succeeded");
                break;
            case AgentEventKind.TaskFailed:
                row.State = TaskState.Failed;
                row.EndedAt = e.Timestamp;
                Touch(row, e.Timestamp, "failed: " + e.Message);
                break;
            case AgentEventKind.TaskSkipped:
                row.State = TaskState.Skipped;
                row.EndedAt = e.Timestamp;
                Touch(row, e.Timestamp, "skipped: " + e.Message);
                break;
            case AgentEventKind.TaskCancelled:
                row.State = TaskState.Cancelled;
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
    }
}
