using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>The file store's log messages, generated so that a disabled level costs nothing.</summary>
internal static partial class FileSharedMemoryLog
{
    [LoggerMessage(200, LogLevel.Information, "Shared memory {Path} opened at sequence {Sequence}: {EntryCount} entries, {Replayed} journal records replayed, flush policy {FlushPolicy}")]
    public static partial void Opened(ILogger logger, string path, long sequence, int entryCount, int replayed, FlushPolicy flushPolicy);

    [LoggerMessage(201, LogLevel.Warning, "Shared memory {Path}: {Problem}")]
    public static partial void RecoveryProblem(ILogger logger, string path, string problem);

    [LoggerMessage(202, LogLevel.Warning, "Shared memory {Path} recovered the state after write {Sequence} ({EntryCount} entries) from {Base} and {Replayed} journal records. The damaged files were moved aside, for inspection: {MovedTo}")]
    public static partial void Recovered(ILogger logger, string path, long sequence, int entryCount, string @base, int replayed, string movedTo);

    [LoggerMessage(203, LogLevel.Information, "Shared memory {Path}: {Note}")]
    public static partial void RecoveryNote(ILogger logger, string path, string note);

    [LoggerMessage(204, LogLevel.Debug, "Shared memory {Path}: snapshot written at sequence {Sequence} ({Bytes} bytes)")]
    public static partial void SnapshotWritten(ILogger logger, string path, long sequence, int bytes);

    [LoggerMessage(205, LogLevel.Warning, "Shared memory {Path}: writing the snapshot failed; every write is still in the journal, and the snapshot is tried again later")]
    public static partial void SnapshotFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(206, LogLevel.Error, "Shared memory {Path} stopped accepting writes: {Reason}")]
    public static partial void Faulted(ILogger logger, string path, string reason, Exception exception);
}
