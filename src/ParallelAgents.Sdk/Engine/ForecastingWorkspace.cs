namespace ParallelAgents.Sdk;

/// <summary>
/// A task's workspace as the engine hands it to the agent: every commit the agent makes is reported to the conflict
/// forecaster, so a conflict with the main branch or with another running task is known before any merge.
/// </summary>
internal sealed class ForecastingWorkspace(IAgentWorkspace inner, RepositoryWorkflow workflow, string trackedId) : IAgentWorkspace
{
    public IAgentWorkspace Inner => inner;

    public string TaskId => inner.TaskId;

    public string RootPath => inner.RootPath;

    public string? Branch => inner.Branch;

    public string? BaseCommit => inner.BaseCommit;

    public WorkspaceFiles Files => inner.Files;

    public ValueTask<CommandResult> ExecuteAsync(CommandRequest request, CancellationToken cancellationToken = default) =>
        inner.ExecuteAsync(request, cancellationToken);

    public async ValueTask<WorkspaceCommit?> CommitAsync(string message, CancellationToken cancellationToken = default)
    {
        WorkspaceCommit? commit = await inner.CommitAsync(message, cancellationToken).ConfigureAwait(false);
        if (commit is not null)
        {
            await workflow.ForecastAsync(trackedId, commit.CommitId, cancellationToken).ConfigureAwait(false);
        }

        return commit;
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
