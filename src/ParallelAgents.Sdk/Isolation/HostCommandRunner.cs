namespace ParallelAgents.Sdk;

/// <summary>
/// Runs commands on the host in a workspace folder with the rules of the built-in workspaces: the shell
/// (<c>/bin/sh -c</c>, <c>cmd.exe /c</c> on Windows), standard input closed, standard output and error interleaved and
/// capped (head and tail kept), the whole process tree killed on timeout or cancellation, and secrets removed from the
/// environment. Custom <see cref="IAgentWorkspace"/> implementations use it for <see cref="IAgentWorkspace.ExecuteAsync"/>.
/// </summary>
public static class HostCommandRunner
{
    /// <summary>Runs <paramref name="request"/> in the workspace whose root is <paramref name="workspaceRoot"/>.</summary>
    /// <param name="request">The command; its <see cref="CommandRequest.WorkingDirectory"/> must stay inside the workspace.</param>
    /// <param name="workspaceRoot">The workspace's root folder.</param>
    /// <param name="environment">Which variables are secrets and which every command gets; <see langword="null"/> for
    /// the defaults of <see cref="CommandEnvironmentOptions"/>.</param>
    /// <param name="cancellationToken">Kills the command's process tree, then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>How the command ended; a failure, a timeout or a command that cannot start is reported in the result.</returns>
    /// <exception cref="WorkspacePathException">The working folder leads outside the workspace or into <c>.git</c>.</exception>
    public static Task<CommandResult> RunAsync(
        CommandRequest request, string workspaceRoot, CommandEnvironmentOptions? environment = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(workspaceRoot);
        return ProcessRunner.RunAsync(request, workspaceRoot, environment ?? DefaultEnvironment, cancellationToken);
    }

    // The defaults are read-only in use: the runner only reads the options.
    private static readonly CommandEnvironmentOptions DefaultEnvironment = new();
}
