namespace ParallelAgents.Sdk;

/// <summary>
/// What one agent (one lane of one task) is doing, as <see cref="AgentEngine.GetStatus"/> and the
/// <c>reports/status_&lt;unix-time&gt;.json</c> files show it: the original coordinator's files, last activity and
/// Active or Idle, plus the attempt, tool calls, tokens, cost and elapsed time the engine knows.
/// </summary>
/// <remarks>Built from the engine's own record of the run and from what the agent reports through
/// <see cref="AgentContext.Progress"/>; a custom agent that reports nothing still has its state, attempt, elapsed time
/// and the files of its commits. Text that came from the agent (file paths, <see cref="LastAction"/>) has had the
/// engine's secrets removed.</remarks>
public sealed class AgentStatus
{
    /// <summary>The agent's name: the task's id, or <c>&lt;task-id&gt;+&lt;n&gt;</c> (n from 1) when the task has
    /// several agents, as its branch is named.</summary>
    public required string Name { get; init; }

    /// <summary>The task the agent works on.</summary>
    public required string TaskId { get; init; }

    /// <summary>Which of the task's parallel agents this is, from 0.</summary>
    public int Lane { get; init; }

    /// <summary>Where the agent stands: <see cref="TaskState.Pending"/> before its first attempt,
    /// <see cref="TaskState.Running"/> during one, and after it how its last attempt (or, for an agent that never
    /// started, its task) ended.</summary>
    public TaskState State { get; init; }

    /// <summary>The number of the agent's current or last attempt, from 1; 0 before its first.</summary>
    public int Attempt { get; init; }

    /// <summary>The files the agent wrote, created or deleted, over all its attempts: the ones it reported and the
    /// ones its commits changed, as workspace-relative paths with <c>/</c>, in ordinal order.</summary>
    public IReadOnlyList<string> FilesChanged { get; init; } = [];

    /// <summary>When the agent last did something the engine saw (an attempt started or ended, a progress report), or
    /// <see langword="null"/> when it has not started.</summary>
    public DateTimeOffset? LastActivity { get; init; }

    /// <summary>A short description of the agent's last progress report (such as <c>tool write_file</c>), or
    /// <see langword="null"/> when it has reported nothing.</summary>
    public string? LastAction { get; init; }

    /// <summary>Whether the agent is Active: an attempt is running and the agent did something within
    /// <see cref="AgentEngineOptions.IdleThreshold"/>. Otherwise it is Idle, as the original coordinator said of a
    /// workspace without a change for 60 seconds.</summary>
    public bool IsActive { get; init; }

    /// <summary>The tool calls the agent made, over all its attempts.</summary>
    public int ToolCalls { get; init; }

    /// <summary>The input (prompt) tokens the agent's model calls used, over all its attempts.</summary>
    public long InputTokens { get; init; }

    /// <summary>The output (completion) tokens the agent's model calls used, over all its attempts.</summary>
    public long OutputTokens { get; init; }

    /// <summary>What the agent's model calls cost, over all its attempts; 0 when the model has no price.</summary>
    public decimal Cost { get; init; }

    /// <summary>When the agent's first attempt started, or <see langword="null"/> when it has not started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>How long the agent has worked: from its first attempt's start to the end of its last, or to now while
    /// an attempt runs; zero before it starts. The backoff between attempts is included.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {State} attempt {Attempt}, {(IsActive ? "Active" : "Idle")}, {FilesChanged.Count} files, {ToolCalls} tool calls, {InputTokens + OutputTokens} tokens";
}
