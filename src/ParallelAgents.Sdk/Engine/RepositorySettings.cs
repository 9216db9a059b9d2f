namespace ParallelAgents.Sdk;

/// <summary>What the builder gathered about the engine's git repository: how to merge, the resolver chain, and
/// whether to forecast conflicts. The engine makes one <see cref="RepositoryWorkflow"/> from it per run.</summary>
internal sealed class RepositorySettings
{
    public required MergeOptions Merge { get; init; }

    public required IReadOnlyList<IConflictResolver> Resolvers { get; init; }

    public bool ForecastConflicts { get; init; } = true;

    /// <summary>The engine's own worktree provider, swept of dead runs' leftovers when a run starts.</summary>
    public WorktreeIsolationProvider? Worktrees { get; init; }
}
