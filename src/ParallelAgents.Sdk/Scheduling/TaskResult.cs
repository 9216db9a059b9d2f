namespace ParallelAgents.Sdk;

/// <summary>How one task of a run ended, with every attempt made at it.</summary>
public sealed class TaskResult
{
    /// <summary>The task's id.</summary>
    public required string TaskId { get; init; }

    /// <summary>The task's final state: <see cref="TaskState.Succeeded"/>, <see cref="TaskState.Failed"/>,
    /// <see cref="TaskState.Skipped"/>, <see cref="TaskState.Cancelled"/> or <see cref="TaskState.Rejected"/>.</summary>
    public required TaskState State { get; init; }

    /// <summary>Every attempt, in the order they ended.</summary>
    /// <value>Empty when the task never started.</value>
    public IReadOnlyList<AttemptResult> Attempts { get; init; } = [];

    /// <summary>When the first attempt started, or <see langword="null"/> when none did.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the task reached its final state.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>From the first attempt's start to the final state; zero when the task never started.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Why the task did not succeed (the last error, or why it was skipped or cancelled).</summary>
    public string? Error { get; init; }

    /// <summary>The summary of the successful attempt.</summary>
    public string? Summary { get; init; }

    /// <summary>Whether <see cref="State"/> is <see cref="TaskState.Succeeded"/>.</summary>
    public bool Succeeded => State == TaskState.Succeeded;

    /// <inheritdoc/>
    public override string ToString() => Error is null ? $"{TaskId}: {State}" : $"{TaskId}: {State} ({Error})";
}
