namespace ParallelAgents.Sdk;

/// <summary>Something that happened in a run, as streamed by <see cref="AgentEngine.WatchAsync(CancellationToken)"/>.</summary>
public sealed class AgentEvent
{
    /// <summary>What happened.</summary>
    public required AgentEventKind Kind { get; init; }

    /// <summary>The run it happened in.</summary>
    public required string RunId { get; init; }

    /// <summary>When it happened, from the engine's <see cref="TimeProvider"/>.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The event's position in the engine's stream: increasing, starting at 1. A gap after an
    /// <see cref="AgentEventKind.EventsDropped"/> event shows the events this watcher lost.</summary>
    public long Sequence { get; internal set; }

    /// <summary>The task it concerns, or <see langword="null"/> for run events.</summary>
    public string? TaskId { get; init; }

    /// <summary>The attempt's number within its lane, for attempt events.</summary>
    public int? Attempt { get; init; }

    /// <summary>Which of the task's parallel agents, for attempt events.</summary>
    public int? Lane { get; init; }

    /// <summary>The task's state after the event, for task events.</summary>
    public TaskState? State { get; init; }

    /// <summary>The error or reason, for failures, retries, skips and cancellations.</summary>
    public string? Message { get; init; }

    /// <summary>How long until the next attempt, for <see cref="AgentEventKind.TaskRetrying"/>.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>How many events this watcher lost, for <see cref="AgentEventKind.EventsDropped"/>.</summary>
    public long DroppedCount { get; init; }

    /// <summary>The run's result, for <see cref="AgentEventKind.RunCompleted"/>.</summary>
    public RunResult? Result { get; init; }

    /// <summary>The merge's result, for <see cref="AgentEventKind.BranchMerged"/> and <see cref="AgentEventKind.MergeFailed"/>.</summary>
    public MergeResult? Merge { get; init; }

    /// <summary>The predicted conflict, for <see cref="AgentEventKind.ConflictPredicted"/> and <see cref="AgentEventKind.ConflictCleared"/>.</summary>
    public ConflictForecast? Forecast { get; init; }

    /// <summary>The agent's report, for <see cref="AgentEventKind.AgentProgress"/> (its texts with the engine's secrets removed).</summary>
    public AgentProgress? Progress { get; init; }

    /// <summary>The reporting agent's status after the report, for <see cref="AgentEventKind.AgentProgress"/>.</summary>
    public AgentStatus? AgentStatus { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Timestamp:O} #{Sequence} {Kind}{(TaskId is null ? string.Empty : $" {TaskId}")}{(Attempt is null ? string.Empty : $" attempt {Attempt}")}{(Message is null ? string.Empty : $": {Message}")}";
}
