namespace ParallelAgents.Sdk;

/// <summary>How the merge of one task's branch into the main branch ended (the <c>status</c> of <c>reports/merge_*.json</c>).</summary>
public enum MergeStatus
{
    /// <summary>The branch merged cleanly and the main branch advanced.</summary>
    Merged = 0,

    /// <summary>The branch conflicted with the main branch; a conflict resolver resolved it and the main branch advanced.</summary>
    Resolved = 1,

    /// <summary>The branch conflicted and no resolver resolved it; the main branch did not move and the branch stays.</summary>
    Conflict = 2,

    /// <summary>The merge was clean but the plan's <c>verify</c> commands failed on the merged tree; the main branch
    /// did not move.</summary>
    VerifyFailed = 3,

    /// <summary>Nothing was merged: the task did not succeed, or its branch had no commits beyond the main branch.</summary>
    Skipped = 4,

    /// <summary>The branch was rejected in review before merge (<see cref="IMergeApprover"/>); the main branch did not
    /// move and the branch stays.</summary>
    Rejected = 5,
}
