namespace ParallelAgents.Sdk;

/// <summary>One linked worktree as git records it under <c>.git/worktrees/&lt;name&gt;</c>.</summary>
/// <param name="Name">The name of its administrative folder.</param>
/// <param name="AdminPath">The administrative folder.</param>
/// <param name="WorktreePath">The worktree's folder as its <c>gitdir</c> file names it, or <see langword="null"/> when
/// that file is missing (a creation that was interrupted).</param>
/// <param name="LockReason">The content of its <c>locked</c> file, or <see langword="null"/> when it is not locked.</param>
/// <param name="Head">The content of its <c>HEAD</c> file, or <see langword="null"/> when it has none.</param>
internal sealed record WorktreeEntry(string Name, string AdminPath, string? WorktreePath, string? LockReason, string? Head)
{
    public bool FolderExists => WorktreePath is not null && Directory.Exists(WorktreePath);
}
