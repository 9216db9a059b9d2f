namespace ParallelAgents.Sdk;

/// <summary>Everything a conflict resolver gets about one conflicted merge.</summary>
public sealed class ConflictContext
{
    /// <summary>The id of the run.</summary>
    public required string RunId { get; init; }

    /// <summary>The task whose branch conflicts.</summary>
    public required AgentTask Task { get; init; }

    /// <summary>The task's branch.</summary>
    public required string Branch { get; init; }

    /// <summary>The full path of the repository (its working tree, or its git folder when bare).</summary>
    public required string RepositoryPath { get; init; }

    /// <summary>The main branch's name.</summary>
    public required string MainBranch { get; init; }

    /// <summary>The main branch's commit the merge was computed against.</summary>
    public required string OursCommit { get; init; }

    /// <summary>The task's branch commit that conflicts.</summary>
    public required string TheirsCommit { get; init; }

    /// <summary>The merge base, or <see langword="null"/> when the sides share no history.</summary>
    public string? BaseCommit { get; init; }

    /// <summary>The conflicted files, with the conflicting lines of both sides.</summary>
    public required IReadOnlyList<MergeConflict> Conflicts { get; init; }

    /// <summary>
    /// Runs the task's agent again in a fresh workspace that starts from <see cref="OursCommit"/>, with
    /// <c>instructions</c> in place of the task's own, and commits what it did. Resolvers use it to have the agent
    /// redo its work on top of the new main branch. <see langword="null"/> when the engine cannot run agents here.
    /// </summary>
    /// <remarks>The function returns the commit the agent made, or <see langword="null"/> when it failed or changed nothing.</remarks>
    public Func<string, CancellationToken, ValueTask<WorkspaceCommit?>>? RerunAgentAsync { get; init; }

    /// <summary>The agents' shared memory, or <see langword="null"/> when the engine has none.</summary>
    public ISharedMemory? Memory { get; init; }

    /// <summary>The plan the task belongs to, or <see langword="null"/> when the merge was asked for without one.
    /// Resolvers look up the task on the other side of a conflict (<see cref="MergeConflict.OtherTaskId"/>) in it,
    /// with <see cref="TaskPlan.TryGetTask"/>.</summary>
    public TaskPlan? Plan { get; init; }
}
