namespace ParallelAgents.Sdk;

/// <summary>What an <see cref="IIsolationProvider"/> is asked to make a workspace for.</summary>
public sealed class WorkspaceRequest
{
    /// <summary>The id of the run; providers tag what they make with it so that a sweeper can find leftovers.</summary>
    public required string RunId { get; init; }

    /// <summary>The task the workspace is for.</summary>
    public required AgentTask Task { get; init; }

    /// <summary>The attempt's number within its lane, starting at 1.</summary>
    /// <value>The default is 1.</value>
    public int Attempt { get; init; } = 1;

    /// <summary>Which of the task's parallel agents the workspace is for, starting at 0.</summary>
    /// <value>The default is 0.</value>
    public int Lane { get; init; }

    /// <summary>The commit or branch the workspace starts from.</summary>
    /// <value>The default, <see langword="null"/>, lets the provider choose: the built-in worktree provider starts
    /// from the tip of its base branch.</value>
    public string? BaseRevision { get; init; }

    /// <summary>The branch the workspace's commits go to, or <see langword="null"/> for the provider's own naming
    /// (the built-in worktree provider uses <c>agent/&lt;task-id&gt;</c>, with the lane when a task has several agents).</summary>
    public string? Branch { get; init; }
}
