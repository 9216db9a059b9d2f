namespace ParallelAgents.Sdk;

/// <summary>Makes the isolated workspace in which one attempt of a task runs.</summary>
/// <remarks>
/// A task names the provider it needs with <c>isolation:</c> (<see cref="IsolationNames"/>); the engine checks
/// before a run starts that every task's isolation has a provider. The engine disposes each workspace when its
/// attempt ends, whether it succeeded, failed or was cancelled.
/// </remarks>
public interface IIsolationProvider
{
    /// <summary>The isolation name tasks use to ask for this provider, such as <c>worktree</c>.</summary>
    string Name { get; }

    /// <summary>Makes a fresh workspace for one attempt.</summary>
    /// <param name="request">The run, task and attempt the workspace is for.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The workspace; the engine disposes it when the attempt ends.</returns>
    ValueTask<IAgentWorkspace> CreateWorkspaceAsync(WorkspaceRequest request, CancellationToken cancellationToken = default);
}
