using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk.Docker;

internal static partial class ContainerLog
{
    [LoggerMessage(1, LogLevel.Debug, "Container {Name} ({Id}) started from {Image} for task {TaskId} of run {RunId}, with the worktree {Path} at /workspace")]
    public static partial void Created(ILogger logger, string name, string id, string image, string taskId, string runId, string path);

    [LoggerMessage(2, LogLevel.Debug, "Container {Name} ({Id}) removed")]
    public static partial void Removed(ILogger logger, string name, string id);

    [LoggerMessage(3, LogLevel.Warning, "Removing container {Id} failed; the sweeper removes it once this process has ended")]
    public static partial void RemoveFailed(ILogger logger, string id, Exception exception);

    [LoggerMessage(4, LogLevel.Information, "Swept {What}")]
    public static partial void Swept(ILogger logger, SweptContainer what);

    [LoggerMessage(5, LogLevel.Warning, "Sweeping the containers of dead runs failed; the run goes on and the next sweep tries again")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "The container user {User} shares neither user nor group with this process, so the worktree {Path} is made writable for everyone on this machine; set ContainerIsolationOptions.User to this process's uid or a uid in its group")]
    public static partial void WorldWritable(ILogger logger, string user, string path);

    [LoggerMessage(7, LogLevel.Warning, "Removing the network {Name} of run {RunId} failed; the sweeper removes it once this process has ended")]
    public static partial void NetworkRemoveFailed(ILogger logger, string name, string runId, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "The command server cannot run in container {Id} ({Reason}); its commands go through one Docker exec each, which is slower but the same otherwise")]
    public static partial void CommandServerUnavailable(ILogger logger, string id, string reason);
}
