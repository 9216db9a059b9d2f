namespace ParallelAgents.Sdk;

/// <summary>
/// Optional for an <see cref="IIsolationProvider"/>: hears when a run that uses the provider starts and ends, so that it
/// can check what it needs before any agent starts (such as a Docker engine that answers), clear what dead runs left
/// behind, and remove what it made for the run as a whole.
/// </summary>
/// <remarks>
/// <see cref="AgentEngine.RunAsync(TaskPlan, CancellationToken)"/> calls <see cref="StartRunAsync"/> on every provider
/// the plan's tasks use, once each, before the run's first task is queued; when one throws, the run does not start and
/// the exception reaches the caller. <see cref="EndRunAsync"/> is called on every provider whose start succeeded, once
/// the run has ended (also when it failed or was cancelled); its exceptions are logged, not thrown.
/// </remarks>
public interface IIsolationProviderLifecycle
{
    /// <summary>Called before the run's first task starts.</summary>
    /// <param name="runId">The run's id, as in <see cref="WorkspaceRequest.RunId"/>.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the provider is ready for the run.</returns>
    ValueTask StartRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Called after the run's last task has ended and its workspaces are disposed.</summary>
    /// <param name="runId">The run's id.</param>
    /// <param name="cancellationToken">Cancels the cleanup.</param>
    /// <returns>A task that completes when the provider has released what it made for the run.</returns>
    ValueTask EndRunAsync(string runId, CancellationToken cancellationToken = default);
}
