namespace ParallelAgents.Sdk;

/// <summary>A snapshot of a run's agents, as <see cref="AgentEngine.GetStatus"/> returns it and the
/// <c>reports/status_&lt;unix-time&gt;.json</c> files hold it.</summary>
public sealed class RunStatus
{
    /// <summary>The run, or <see langword="null"/> when the engine has not run anything yet.</summary>
    public string? RunId { get; init; }

    /// <summary>When the snapshot was taken, from the engine's <see cref="TimeProvider"/>.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Whether the run is still in progress; <see langword="false"/> for the final status of an ended run and
    /// for the empty status of an engine that has not run anything.</summary>
    public bool IsRunning { get; init; }

    /// <summary>When the run started, or <see langword="null"/> when there is no run.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>How long the run has taken: to now while it runs, to its end once it ended.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Every agent of the run, one per lane of each task, in the plan's order (agents that have not started
    /// are <see cref="TaskState.Pending"/>, or carry their task's final state when it ended without them, Cancelled when
    /// another agent of the task succeeded first).</summary>
    public IReadOnlyList<AgentStatus> Agents { get; init; } = [];

    /// <summary>The totals over <see cref="Agents"/>.</summary>
    public required RunStatusSummary Summary { get; init; }
}
