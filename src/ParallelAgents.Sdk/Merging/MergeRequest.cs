namespace ParallelAgents.Sdk;

/// <summary>One task's branch to merge into the main branch (<see cref="BranchMerger.MergeAsync(MergeRequest, CancellationToken)"/>).</summary>
public sealed class MergeRequest
{
    /// <summary>The id of the run the task belongs to; it names the integration worktree and goes into the merge
    /// commit's trailers and the report.</summary>
    /// <value>Required; letters, digits, <c>.</c>, <c>_</c> and <c>-</c>.</value>
    public required string RunId { get; init; }

    /// <summary>The task whose work is merged; its <see cref="AgentTask.Priority"/> orders merges that wait together.</summary>
    public required AgentTask Task { get; init; }

    /// <summary>The task's branch, such as <c>agent/backend-api</c>.</summary>
    /// <value>Required; a local branch of the repository.</value>
    public required string Branch { get; init; }

    /// <summary>The task's place in the plan's dependency order (its index in
    /// <see cref="TaskPlan.GetTopologicalOrder"/>): of the merges waiting for their turn, the lowest position goes first,
    /// then the highest priority, then the one that asked first.</summary>
    /// <value>Zero or more. The default is 0.</value>
    public int PlanPosition { get; init; }

    /// <summary>The conflict resolvers, asked in order until one resolves a conflict.</summary>
    /// <value>The default is none: a conflict ends the merge as <see cref="MergeStatus.Conflict"/>.</value>
    public IReadOnlyList<IConflictResolver> Resolvers { get; init; } = [];

    /// <summary>Runs the task's agent again on top of the new main branch; passed to resolvers as
    /// <see cref="ConflictContext.RerunAgentAsync"/>.</summary>
    /// <value>The default is <see langword="null"/>: resolvers cannot re-run the agent.</value>
    public Func<string, CancellationToken, ValueTask<WorkspaceCommit?>>? RerunAgentAsync { get; init; }

    /// <summary>The agents' shared memory, passed to resolvers as <see cref="ConflictContext.Memory"/>.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public ISharedMemory? Memory { get; init; }

    /// <summary>The plan the task belongs to, passed to resolvers as <see cref="ConflictContext.Plan"/> so they can
    /// read the instructions of the task on the other side of a conflict.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public TaskPlan? Plan { get; init; }

    /// <summary>The review's approval of the branch, recorded in the result and the report.</summary>
    internal ReviewDecision? Review { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Task, nameof(Task));
        if (string.IsNullOrWhiteSpace(RunId) || RunId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
        {
            throw new ArgumentException($"MergeRequest.RunId '{RunId}' must be letters, digits, '.', '_' and '-'.", nameof(RunId));
        }

        if (!RefStore.IsValidBranchName(Branch))
        {
            throw new ArgumentException($"MergeRequest.Branch '{Branch}' of task '{Task.Id}' is not a valid branch name.", nameof(Branch));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(PlanPosition, nameof(PlanPosition));
        ArgumentNullException.ThrowIfNull(Resolvers, nameof(Resolvers));
        for (int i = 0; i < Resolvers.Count; i++)
        {
            if (Resolvers[i] is null)
            {
                throw new ArgumentException($"MergeRequest.Resolvers[{i}] is null.", nameof(Resolvers));
            }
        }
    }
}
