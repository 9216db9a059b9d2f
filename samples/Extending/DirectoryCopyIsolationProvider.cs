using ParallelAgents.Sdk;

namespace MyAgents;

/// <summary>Gives each attempt its own copy of a directory, under workRoot/&lt;run id&gt;/.</summary>
public sealed class DirectoryCopyIsolationProvider(string name, string sourceDirectory, string workRoot) : IIsolationProvider
{
    public string Name => name;

    public ValueTask<IAgentWorkspace> CreateWorkspaceAsync(WorkspaceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string rootPath = Path.GetFullPath(Path.Combine(
            workRoot, request.RunId, $"{request.Task.Id}.lane{request.Lane}.attempt{request.Attempt}"));
        Copy(new DirectoryInfo(sourceDirectory), Directory.CreateDirectory(rootPath), cancellationToken);
        return ValueTask.FromResult<IAgentWorkspace>(new Workspace(request.Task.Id, rootPath));
    }

    private static void Copy(DirectoryInfo source, DirectoryInfo target, CancellationToken cancellationToken)
    {
        foreach (FileInfo file in source.EnumerateFiles())
        {
            cancellationToken.ThrowIfCancellationRequested();
            file.CopyTo(Path.Combine(target.FullName, file.Name));
        }

        foreach (DirectoryInfo directory in source.EnumerateDirectories())
        {
            Copy(directory, target.CreateSubdirectory(directory.Name), cancellationToken);
        }
    }

    private sealed class Workspace(string taskId, string rootPath) : IAgentWorkspace
    {
        public string TaskId => taskId;

        public string RootPath => rootPath;

        public string? Branch => null;

        public string? BaseCommit => null;

        public WorkspaceFiles Files { get; } = new(rootPath);

        public ValueTask<CommandResult> ExecuteAsync(CommandRequest request, CancellationToken cancellationToken = default) =>
            new(HostCommandRunner.RunAsync(request, rootPath, cancellationToken: cancellationToken));

        public ValueTask<WorkspaceCommit?> CommitAsync(string message, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("A directory copy is not a git checkout; its files are the attempt's result.");

        // Nothing to release: the copy is the attempt's result and stays until the caller removes the run's folder.
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
