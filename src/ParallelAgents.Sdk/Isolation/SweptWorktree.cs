namespace ParallelAgents.Sdk;

/// <summary>A worktree that <see cref="WorktreeIsolationProvider.SweepAsync"/> removed.</summary>
public sealed class SweptWorktree
{
    /// <summary>The worktree's folder.</summary>
    public required string Path { get; init; }

    /// <summary>The id of the run that made it; <see langword="null"/> for a stale record git pruned, whose maker is
    /// unknown.</summary>
    public string? RunId { get; init; }

    /// <summary>The branch the worktree was on, such as <c>agent/backend-api</c>; the branch and its commits are kept.
    /// <see langword="null"/> when it was not on a branch (a warm-pool worktree) or the record did not say.</summary>
    public string? Branch { get; init; }

    /// <summary>Whether the folder was still there; <see langword="false"/> when only git's record of it was left.</summary>
    public bool FolderExisted { get; init; }

    /// <summary>Why it was removed, such as "process 4242 that made it has ended".</summary>
    public required string Reason { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Path} (run {RunId ?? "unknown"}): {Reason}";
}
