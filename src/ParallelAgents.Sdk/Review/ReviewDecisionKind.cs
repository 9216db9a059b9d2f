namespace ParallelAgents.Sdk;

/// <summary>What an <see cref="IMergeApprover"/> decided about a task's branch.</summary>
public enum ReviewDecisionKind
{
    /// <summary>Merge the branch into the main branch.</summary>
    Approved = 0,

    /// <summary>Do not merge: the branch stays as it is, the task ends <see cref="TaskState.Rejected"/>, and the
    /// tasks that depend on it are skipped.</summary>
    Rejected = 1,

    /// <summary>Have the agent work again on its branch, with the feedback as its previous error, then review again.</summary>
    RerunRequested = 2,
}
