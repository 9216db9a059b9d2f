using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>The worktree provider's log messages, generated so that a disabled level costs nothing.</summary>
internal static partial class WorktreeLog
{
    [LoggerMessage(300, LogLevel.Debug, "Worktree {Path} made for task {TaskId} on branch {Branch} at {Commit} (run {RunId}, from the warm pool: {Pooled})")]
    public static partial void Created(ILogger logger, string path, string taskId, string branch, string commit, string runId, bool pooled);

    [LoggerMessage(301, LogLevel.Warning, "Branch {Branch} was left by an earlier run with commits that {Base} does not contain; it was renamed {Backup} so that nothing is lost, and task {TaskId} starts afresh on {Branch}")]
    public static partial void BranchBackedUp(ILogger logger, string branch, string @base, string backup, string taskId);

    [LoggerMessage(302, LogLevel.Information, "Task {TaskId} attempt {Attempt} continues on branch {Branch} at {Commit}, where the run's earlier attempt left it")]
    public static partial void BranchContinued(ILogger logger, string taskId, int attempt, string branch, string commit);

    [LoggerMessage(303, LogLevel.Debug, "Worktree {Path} removed; branch {Branch} kept")]
    public static partial void Removed(ILogger logger, string path, string branch);

    [LoggerMessage(304, LogLevel.Information, "Swept worktree {Path} of run {RunId}: {Reason}")]
    public static partial void Swept(ILogger logger, string path, string runId, string reason);

    [LoggerMessage(305, LogLevel.Warning, "The warm pool could not make a worktree; workspaces are made on demand until it can")]
    public static partial void PoolFillFailed(ILogger logger, Exception exception);

    [LoggerMessage(306, LogLevel.Warning, "'git worktree prune' could not run to remove stale worktree records: {Output}")]
    public static partial void PruneFailed(ILogger logger, string output);
}
