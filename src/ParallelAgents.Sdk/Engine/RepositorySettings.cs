namespace ParallelAgents.Sdk;

/// <summary>What the builder gathered about the engine's git repository: how to merge, the resolver chain, and
/// whether to forecast conflicts. The engine makes one <see cref="RepositoryWorkflow"/> from it per run.</summary>
internal sealed class RepositorySettings
{
    public required MergeOptions Merge { get; init; }

    public required IReadOnlyList<IConflictResolver> Resolvers { get; init; }

    public bool ForecastConflicts { get; init; } = true;

    /// <summary>Who reviews each branch before it is merged; <see langword="null"/> merges without review.</summary>
    public IMergeApprover? Approver { get; init; }

    public MergeApprovalOptions Approval { get; init; } = new();

    /// <summary>The attempts a task has when its plan does not say (<see cref="RetryOptions.MaxAttempts"/>); reviewers'
    /// re-runs count against them.</summary>
    public int DefaultMaxAttempts { get; init; } = 3;

    /// <summary>The engine's own worktree provider, swept of dead runs' leftovers when a run starts.</summary>
    public WorktreeIsolationProvider? Worktrees { get; init; }
}
