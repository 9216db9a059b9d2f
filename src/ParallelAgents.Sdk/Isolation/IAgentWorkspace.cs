namespace ParallelAgents.Sdk;

/// <summary>The isolated place where one attempt of a task does its work: its files, its commands and its commits.</summary>
/// <remarks>
/// Disposing the workspace cleans up what the provider made for it; it must not lose committed work (the built-in
/// worktree provider removes the worktree and keeps the branch).
/// </remarks>
public interface IAgentWorkspace : IAsyncDisposable
{
    /// <summary>The task the workspace belongs to.</summary>
    string TaskId { get; }

    /// <summary>The full path of the workspace's files on the host.</summary>
    string RootPath { get; }

    /// <summary>The git branch the workspace's commits go to, such as <c>agent/backend-api</c>, or
    /// <see langword="null"/> when the workspace is not a git checkout.</summary>
    string? Branch { get; }

    /// <summary>The commit the workspace started from (a full hexadecimal id), or <see langword="null"/> when the
    /// workspace is not a git checkout.</summary>
    string? BaseCommit { get; }

    /// <summary>The workspace's files, every path checked to stay inside <see cref="RootPath"/>.</summary>
    WorkspaceFiles Files { get; }

    /// <summary>Runs a command in the workspace (on the host, or wherever the provider runs its commands, such as a
    /// container).</summary>
    /// <param name="request">The command, its timeout, output cap and environment.</param>
    /// <param name="cancellationToken">Cancels the command; its process is killed.</param>
    /// <returns>How the command ended, with its output (head and tail kept when it is longer than the cap). A command
    /// that fails or times out is reported in the result; it does not throw.</returns>
    ValueTask<CommandResult> ExecuteAsync(CommandRequest request, CancellationToken cancellationToken = default);

    /// <summary>Stages every change in the workspace and commits it on <see cref="Branch"/> as the agent.</summary>
    /// <param name="message">The commit message.</param>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>The commit, or <see langword="null"/> when there was nothing to commit.</returns>
    /// <exception cref="NotSupportedException">The workspace is not a git checkout (<see cref="Branch"/> is <see langword="null"/>).</exception>
    ValueTask<WorkspaceCommit?> CommitAsync(string message, CancellationToken cancellationToken = default);
}
