namespace ParallelAgents.Sdk;

/// <summary>How the merge of one task's branch into the main branch ended (one <c>reports/merge_&lt;task-id&gt;_&lt;timestamp&gt;.json</c>).</summary>
public sealed class MergeResult
{
    /// <summary>The task whose branch was merged.</summary>
    public required string TaskId { get; init; }

    /// <summary>The task's branch, such as <c>agent/backend-api</c>.</summary>
    public required string Branch { get; init; }

    /// <summary>How the merge ended.</summary>
    public required MergeStatus Status { get; init; }

    /// <summary>The merge base of the two sides, or <see langword="null"/> when they share no history or nothing was merged.</summary>
    public string? BaseCommit { get; init; }

    /// <summary>The main branch's commit the merge was computed against ("ours").</summary>
    public string? OursCommit { get; init; }

    /// <summary>The task's branch commit that was merged ("theirs").</summary>
    public string? TheirsCommit { get; init; }

    /// <summary>The commit the main branch advanced to, or <see langword="null"/> when it did not move.</summary>
    public string? MergedCommit { get; init; }

    /// <summary>The files the task's branch changed against the merge base.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>The conflicts met, resolved or not.</summary>
    public IReadOnlyList<MergeConflict> Conflicts { get; init; } = [];

    /// <summary>The name of the conflict resolver that resolved the conflicts, or <see langword="null"/>.</summary>
    public string? Resolver { get; init; }

    /// <summary>The commit the resolver made, merged in place of <see cref="TheirsCommit"/>, or <see langword="null"/>
    /// when no resolver resolved the merge. The task's branch itself is not moved.</summary>
    public string? ResolutionCommit { get; init; }

    /// <summary>What each resolver asked said, in order, as <c>name: outcome</c>; empty when there was no conflict.</summary>
    public IReadOnlyList<string> ResolverAttempts { get; init; } = [];

    /// <summary>Whether the user's working tree, where the main branch is checked out, was updated to the new commit.
    /// It is left exactly as it was when it had uncommitted changes.</summary>
    public bool WorkingTreeUpdated { get; init; }

    /// <summary>The working tree where the main branch is checked out that was left exactly as it was because it had
    /// uncommitted changes (the main branch advanced all the same), or <see langword="null"/>.</summary>
    public string? WorkingTreeLeftAsIs { get; init; }

    /// <summary>What happened, in a sentence or two, with what to do next when the merge did not reach the main branch.</summary>
    public string? Message { get; init; }

    /// <summary>The <c>verify</c> command that failed, when <see cref="Status"/> is <see cref="MergeStatus.VerifyFailed"/>.</summary>
    public string? VerifyCommand { get; init; }

    /// <summary>The output of the <c>verify</c> command that failed, when <see cref="Status"/> is <see cref="MergeStatus.VerifyFailed"/>.</summary>
    public string? VerifyOutput { get; init; }

    /// <summary>The review's decision when the merge waited for one (<see cref="IMergeApprover"/>): the approval
    /// of a merged branch, the rejection of a <see cref="MergeStatus.Rejected"/> one; <see langword="null"/> without review.</summary>
    public ReviewDecision? Review { get; init; }

    /// <summary>The full path of the JSON report written for this merge, or <see langword="null"/> when none was written.</summary>
    public string? ReportPath { get; init; }

    /// <summary>When the merge ended.</summary>
    public DateTimeOffset CompletedAt { get; init; }

    /// <summary>How long the merge took, resolution and verification included.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Whether the task's work reached the main branch (<see cref="MergeStatus.Merged"/> or <see cref="MergeStatus.Resolved"/>).</summary>
    public bool ReachedMain => Status is MergeStatus.Merged or MergeStatus.Resolved;

    /// <inheritdoc/>
    public override string ToString() => $"{TaskId} ({Branch}): {Status}" + (Message is null ? "" : $" - {Message}");
}
