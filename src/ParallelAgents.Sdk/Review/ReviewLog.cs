using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>The review's log messages, generated so that a disabled level costs nothing (event ids 700-799).</summary>
internal static partial class ReviewLog
{
    [LoggerMessage(700, LogLevel.Information, "Task {TaskId}: waiting for the review of {Branch} at {Commit} (round {Round})")]
    public static partial void Waiting(ILogger logger, string taskId, string branch, string commit, int round);

    [LoggerMessage(701, LogLevel.Information, "Task {TaskId}: the review of {Branch} decided {Decision}")]
    public static partial void Decided(ILogger logger, string taskId, string branch, ReviewDecision decision);

    [LoggerMessage(702, LogLevel.Warning, "Task {TaskId}: the review of {Branch} failed; the branch is not merged")]
    public static partial void Failed(ILogger logger, string taskId, string branch, Exception exception);

    [LoggerMessage(703, LogLevel.Warning, "Task {TaskId} rejected in review: {Reason}")]
    public static partial void TaskRejected(ILogger logger, string taskId, string reason);
}
