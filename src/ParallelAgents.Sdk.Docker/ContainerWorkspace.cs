namespace ParallelAgents.Sdk.Docker;

/// <summary>A worktree whose commands run in a container: files, commits and cleanup of the worktree are the host's,
/// commands are the container's.</summary>
internal sealed class ContainerWorkspace : IAgentWorkspace
{
    private readonly ContainerIsolationProvider _provider;
    private readonly IAgentWorkspace _worktree;
    private int _disposed;

    public ContainerWorkspace(ContainerIsolationProvider provider, IAgentWorkspace worktree, string containerId, string containerName)
    {
        _provider = provider;
        _worktree = worktree;
        ContainerId = containerId;
        ContainerName = containerName;
        Server = provider.NewCommandServer(containerId);
    }

    /// <summary>The shell kept running in the container that runs commands without an exec each, or
    /// <see langword="null"/> when <see cref="ContainerIsolationOptions.UseCommandServer"/> is off.</summary>
    public ContainerCommandServer? Server { get; }

    public string ContainerId { get; }

    public string ContainerName { get; }

    public string TaskId => _worktree.TaskId;

    public string RootPath => _worktree.RootPath;

    public string? Branch => _worktree.Branch;

    public string? BaseCommit => _worktree.BaseCommit;

    public WorkspaceFiles Files => _worktree.Files;

    public async ValueTask<CommandResult> ExecuteAsync(CommandRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ProcessRunner.Check(request);
        cancellationToken.ThrowIfCancellationRequested();

        // The folder is checked on the host, with the workspace's own rules, then named as the container sees it.
        string folder = Files.ResolveDirectory(request.WorkingDirectory).FullPath;
        if (!Directory.Exists(folder))
        {
            return new CommandResult
            {
                Command = request.Command,
                ExitCode = -1,
                Output = $"could not start: the working folder '{request.WorkingDirectory}' does not exist in the workspace; create it first or run from the workspace root.",
            };
        }

        string relative = Path.GetRelativePath(RootPath, folder).Replace(Path.DirectorySeparatorChar, '/');
        string inContainer = relative == "." ? ContainerIsolationOptions.WorkspacePath : ContainerIsolationOptions.WorkspacePath + "/" + relative;
        return await _provider.ExecuteAsync(this, inContainer, request, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<WorkspaceCommit?> CommitAsync(string message, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _worktree.CommitAsync(message, cancellationToken);
    }

    /// <summary>Removes the container (its processes are killed), then the worktree; the branch is kept.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _provider.RemoveContainerAsync(this).ConfigureAwait(false);
        }
        finally
        {
            await _worktree.DisposeAsync().ConfigureAwait(false);
        }
    }
}
