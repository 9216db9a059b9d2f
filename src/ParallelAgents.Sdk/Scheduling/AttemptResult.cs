namespace ParallelAgents.Sdk;

/// <summary>The record of one attempt of a task.</summary>
public sealed class AttemptResult
{
    /// <summary>The attempt's number within its lane, starting at 1.</summary>
    public required int Attempt { get; init; }

    /// <summary>Which of the task's parallel agents made the attempt, starting at 0.</summary>
    public int Lane { get; init; }

    /// <summary>How the attempt ended.</summary>
    public required AttemptStatus Status { get; init; }

    /// <summary>When the attempt started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>How long the attempt ran.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Why the attempt did not succeed; <see langword="null"/> when it did.</summary>
    public string? Error { get; init; }

    /// <summary>Whether the failure was judged transient, so that another attempt could follow.</summary>
    public bool IsTransient { get; init; }

    /// <summary>The exception the agent threw, if it threw one.</summary>
    public Exception? Exception { get; init; }

    /// <summary>The agent's summary of a successful attempt.</summary>
    public string? Summary { get; init; }

    /// <summary>The tokens, cost, tool calls and model turns the attempt used, when its agent reported them
    /// (<see cref="AgentOutcome.Usage"/>); <see langword="null"/> otherwise.</summary>
    public AgentUsage? Usage { get; init; }
}
