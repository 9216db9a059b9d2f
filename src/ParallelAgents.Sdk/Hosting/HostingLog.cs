using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

internal static partial class HostingLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Queued run {RunId} starts: {TaskCount} tasks")]
    public static partial void RunStarting(ILogger logger, string runId, int taskCount);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Queued run {RunId} ended (cancelled: {Cancelled}): {Succeeded} of {TaskCount} tasks succeeded")]
    public static partial void RunEnded(ILogger logger, string runId, bool cancelled, int succeeded, int taskCount);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Queued run {RunId} could not run")]
    public static partial void RunFailed(ILogger logger, string runId, Exception exception);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "The host stopped with {Count} queued runs not started; submit them again")]
    public static partial void RunsNotStarted(ILogger logger, int count);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Queued run {RunId} was stopped with the host before it finished; its journal is {JournalPath}: finish it with AgentEngine.ResumeAsync(\"{RunId}\")")]
    public static partial void RunResumable(ILogger logger, string runId, string journalPath);
}
