namespace ParallelAgents.Sdk.Docker;

/// <summary>Who a worktree is opened to so that the container's user can write it.</summary>
internal enum WorktreeGrant
{
    /// <summary>Nobody: the container runs as the worktree's owner.</summary>
    None,

    /// <summary>The owner's group, which the container's user is in.</summary>
    Group,

    /// <summary>Everyone: the container's user shares neither user nor group with the host process.</summary>
    Everyone,
}
