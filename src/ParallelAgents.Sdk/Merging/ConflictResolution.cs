namespace ParallelAgents.Sdk;

/// <summary>What an <see cref="IConflictResolver"/> made of a conflict.</summary>
public sealed class ConflictResolution
{
    private ConflictResolution(string? commitId, string? reason)
    {
        CommitId = commitId;
        Reason = reason;
    }

    /// <summary>The commit that carries the task's work and merges cleanly into the main branch's commit, or
    /// <see langword="null"/> when the resolver did not resolve the conflict.</summary>
    public string? CommitId { get; }

    /// <summary>Why the resolver did not resolve the conflict, or what it did.</summary>
    public string? Reason { get; }

    /// <summary>Whether the resolver produced a commit.</summary>
    public bool IsResolved => CommitId is not null;

    /// <summary>The conflict is resolved by <paramref name="commitId"/>: the engine merges it in place of the task's
    /// branch tip, and checks it again (a resolution that still conflicts, or fails <c>verify</c>, is refused).</summary>
    /// <param name="commitId">The full id of a commit in the repository.</param>
    /// <param name="description">What the resolver did, for the report.</param>
    /// <returns>The resolution.</returns>
    public static ConflictResolution Resolved(string commitId, string? description = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commitId);
        return new ConflictResolution(commitId, description);
    }

    /// <summary>The resolver did not resolve the conflict; the next resolver in the chain is asked.</summary>
    /// <param name="reason">Why, for the report.</param>
    /// <returns>The resolution.</returns>
    public static ConflictResolution NotResolved(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new ConflictResolution(null, reason);
    }
}
