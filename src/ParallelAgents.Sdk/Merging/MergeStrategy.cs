namespace ParallelAgents.Sdk;

/// <summary>How a task's branch is brought into the main branch.</summary>
public enum MergeStrategy
{
    /// <summary>A merge commit with the main branch and the task's branch as parents (the default); history shows
    /// each agent's commits.</summary>
    MergeCommit = 0,

    /// <summary>One new commit on the main branch with the merged tree and the main branch as its only parent.</summary>
    Squash = 1,

    /// <summary>Moves the main branch to the task's branch when the branch already contains the main branch; a merge
    /// commit otherwise.</summary>
    FastForward = 2,
}
