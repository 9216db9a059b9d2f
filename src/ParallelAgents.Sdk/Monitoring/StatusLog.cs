using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>The live status's log messages.</summary>
internal static partial class StatusLog
{
    [LoggerMessage(701, LogLevel.Warning, "Run {RunId}: the status report could not be written to {Directory}; the run goes on")]
    public static partial void StatusReportFailed(ILogger logger, string runId, string directory, Exception exception);

    [LoggerMessage(702, LogLevel.Warning, "Run {RunId}: the run report could not be written to {Directory}")]
    public static partial void RunReportFailed(ILogger logger, string runId, string directory, Exception exception);

    [LoggerMessage(703, LogLevel.Information, "Run {RunId}: run report written to {Path}")]
    public static partial void RunReportWritten(ILogger logger, string runId, string path);
}
