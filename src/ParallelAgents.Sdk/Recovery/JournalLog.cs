using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>The run journal's log messages.</summary>
internal static partial class JournalLog
{
    [LoggerMessage(950, LogLevel.Warning, "Run journal {Path}: its last line is incomplete (the process stopped while writing it) and is ignored")]
    public static partial void TornTail(ILogger logger, string path);

    [LoggerMessage(951, LogLevel.Error, "Run journal {Path}: writing failed; the run goes on without a journal and cannot be resumed after a crash")]
    public static partial void WriteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(952, LogLevel.Information, "Run {RunId} resumes from {Path}: {Done} tasks already ended, {ToRun} to run")]
    public static partial void Resuming(ILogger logger, string runId, string path, int done, int toRun);

    [LoggerMessage(953, LogLevel.Warning, "Run {RunId}: the merge of task {TaskId} reached {MainBranch} at {Commit} but the journal did not record it (the process stopped in between); it counts as merged")]
    public static partial void MergeRecovered(ILogger logger, string runId, string taskId, string mainBranch, string commit);
}
