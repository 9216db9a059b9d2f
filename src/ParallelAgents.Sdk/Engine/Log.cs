using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>The engine's log messages, generated so that a disabled level costs nothing.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Run {RunId} started: {TaskCount} tasks, at most {MaxParallelAgents} agents at once")]
    public static partial void RunStarted(ILogger logger, string runId, int taskCount, int maxParallelAgents);

    [LoggerMessage(2, LogLevel.Information, "Run {RunId} ended in {Duration}: {Succeeded} succeeded, {Failed} failed, {Skipped} skipped, {Cancelled} cancelled")]
    public static partial void RunCompleted(ILogger logger, string runId, TimeSpan duration, int succeeded, int failed, int skipped, int cancelled);

    [LoggerMessage(3, LogLevel.Debug, "Task {TaskId} attempt {Attempt} (lane {Lane}) started")]
    public static partial void AttemptStarted(ILogger logger, string taskId, int attempt, int lane);

    [LoggerMessage(4, LogLevel.Information, "Task {TaskId} succeeded on attempt {Attempt} (lane {Lane})")]
    public static partial void TaskSucceeded(ILogger logger, string taskId, int attempt, int lane);

    [LoggerMessage(5, LogLevel.Warning, "Task {TaskId} attempt {Attempt} failed transiently; retrying in {Delay}: {Error}")]
    public static partial void Retrying(ILogger logger, string taskId, int attempt, TimeSpan delay, string error, Exception? exception);

    [LoggerMessage(6, LogLevel.Error, "Task {TaskId} failed: {Error}")]
    public static partial void TaskFailed(ILogger logger, string taskId, string error, Exception? exception);

    [LoggerMessage(7, LogLevel.Warning, "Task {TaskId} skipped: {Reason}")]
    public static partial void TaskSkipped(ILogger logger, string taskId, string reason);

    [LoggerMessage(8, LogLevel.Warning, "Run {RunId}: {Count} agents did not stop within the cancellation grace period of {GracePeriod}; the run returns without them")]
    public static partial void AgentsDidNotStop(ILogger logger, string runId, int count, TimeSpan gracePeriod);

    [LoggerMessage(9, LogLevel.Warning, "Task {TaskId}: disposing the workspace of attempt {Attempt} failed")]
    public static partial void WorkspaceDisposeFailed(ILogger logger, string taskId, int attempt, Exception exception);

    [LoggerMessage(10, LogLevel.Warning, "Task {TaskId} attempt {Attempt} (lane {Lane}) failed while other agents on the task go on: {Error}")]
    public static partial void LaneFailed(ILogger logger, string taskId, int attempt, int lane, string error, Exception? exception);

    [LoggerMessage(11, LogLevel.Information, "Run {RunId}: swept {Count} worktrees left by runs that are no longer alive")]
    public static partial void Swept(ILogger logger, string runId, int count);

    [LoggerMessage(12, LogLevel.Information, "Task {TaskId}: branch {Branch} {Status} into {MainBranch}: {Message}")]
    public static partial void Merged(ILogger logger, string taskId, string branch, MergeStatus status, string mainBranch, string? message);

    [LoggerMessage(13, LogLevel.Warning, "Task {TaskId}: branch {Branch} did not reach {MainBranch} ({Status}): {Message}")]
    public static partial void MergeFailed(ILogger logger, string taskId, string branch, string mainBranch, MergeStatus status, string? message);

    [LoggerMessage(14, LogLevel.Warning, "Task {TaskId}: committing the work of attempt {Attempt} on {Branch} failed")]
    public static partial void CommitFailed(ILogger logger, string taskId, int attempt, string branch, Exception exception);

    [LoggerMessage(15, LogLevel.Warning, "Task {TaskId}: predicted conflict with {Other} in {Files}")]
    public static partial void ConflictPredicted(ILogger logger, string taskId, string other, string files);

    [LoggerMessage(16, LogLevel.Warning, "Task {TaskId}: conflict forecasting failed for commit {Commit}; the run goes on without this forecast")]
    public static partial void ForecastFailed(ILogger logger, string taskId, string commit, Exception exception);

    [LoggerMessage(17, LogLevel.Warning, "Task {TaskId}: setup command '{Command}' failed in the workspace of attempt {Attempt}")]
    public static partial void SetupFailed(ILogger logger, string taskId, string command, int attempt);

    [LoggerMessage(18, LogLevel.Warning, "Run {RunId}: sweeping leftover worktrees failed; the run goes on")]
    public static partial void SweepFailed(ILogger logger, string runId, Exception exception);

    [LoggerMessage(19, LogLevel.Warning, "Run {RunId}: the isolation provider '{Provider}' failed to end the run; what it made for the run may be left for its sweeper")]
    public static partial void ProviderEndFailed(ILogger logger, string runId, string provider, Exception exception);
}
