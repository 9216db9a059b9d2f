using System.Collections.Concurrent;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>A hand-written isolation provider: a fresh temporary folder per attempt, deleted on disposal.</summary>
internal sealed class TempDirectoryProvider(string name) : IIsolationProvider
{
    public string Name => name;

    public string? FailFor { get; init; }

    public ConcurrentQueue<string> Created { get; } = new();

    public ConcurrentQueue<string> Disposed { get; } = new();

    public ConcurrentQueue<WorkspaceRequest> Requests { get; } = new();

    public ValueTask<IAgentWorkspace> CreateWorkspaceAsync(WorkspaceRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Enqueue(request);
        if (request.Task.Id == FailFor)
        {
            throw new InvalidOperationException($"cannot make a workspace for {request.Task.Id}");
        }

        string path = Path.Combine(Path.GetTempPath(), "pa-tests", $"{request.RunId}-{request.Task.Id}-{request.Lane}-{request.Attempt}");
        Directory.CreateDirectory(path);
        Created.Enqueue(path);
        return ValueTask.FromResult<IAgentWorkspace>(new Workspace(request.Task.Id, path, this));
    }

    internal sealed class Workspace(string taskId, string rootPath, TempDirectoryProvider? owner) : IAgentWorkspace
    {
        public string TaskId => taskId;

        public string RootPath => rootPath;

        public string? Branch => null;

        public string? BaseCommit => null;

        public WorkspaceFiles Files => new(rootPath);

        public ValueTask<CommandResult> ExecuteAsync(CommandRequest request, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("this test workspace runs no commands");

        public ValueTask<WorkspaceCommit?> CommitAsync(string message, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("this test workspace is not a git checkout");

        public ValueTask DisposeAsync()
        {
            Directory.Delete(rootPath, recursive: true);
            owner?.Disposed.Enqueue(rootPath);
            return ValueTask.CompletedTask;
        }
    }
}
