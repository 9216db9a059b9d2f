using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>The merger's log messages, generated so that a disabled level costs nothing (event ids 400-499).</summary>
internal static partial class MergeLog
{
    [LoggerMessage(400, LogLevel.Information, "Merge of {Branch} (task {TaskId}) into {MainBranch}: {Status}. {Message}")]
    public static partial void MergeCompleted(ILogger logger, string branch, string taskId, string mainBranch, MergeStatus status, string? message);

    [LoggerMessage(401, LogLevel.Information, "{MainBranch} moved from {Expected} while {Branch} was being merged; computing the merge again")]
    public static partial void MainMoved(ILogger logger, string mainBranch, string expected, string branch);

    [LoggerMessage(402, LogLevel.Warning, "{MainBranch} is locked by another git command; trying again (attempt {Attempt})")]
    public static partial void MainLocked(ILogger logger, string mainBranch, int attempt);

    [LoggerMessage(403, LogLevel.Information, "Conflict resolver for {Branch}: {Attempt}")]
    public static partial void ResolverAttempt(ILogger logger, string branch, string attempt);

    [LoggerMessage(404, LogLevel.Warning, "The working tree at {Path} was left as it was: {Reason}")]
    public static partial void WorkingTreeLeft(ILogger logger, string path, string reason);
}
