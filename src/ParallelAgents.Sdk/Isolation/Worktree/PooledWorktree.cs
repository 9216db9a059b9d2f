namespace ParallelAgents.Sdk;

/// <summary>A worktree made in advance: checked out, detached at <paramref name="CommitId"/>, waiting for a task.</summary>
/// <param name="Name">The name of its record under <c>.git/worktrees</c>.</param>
/// <param name="Path">Its folder.</param>
/// <param name="CommitId">The commit it has checked out.</param>
internal sealed record PooledWorktree(string Name, string Path, string CommitId);
