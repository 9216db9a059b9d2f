namespace ParallelAgents.Sdk;

/// <summary>Does one task in one workspace: the extension point that turns a task into work.</summary>
/// <remarks>
/// The engine calls <see cref="RunAsync"/> once per attempt. An agent reports an ordinary failure by returning
/// <see cref="AgentOutcome.Failure(string, bool, AgentUsage)"/>; an exception it throws is caught, recorded and classified
/// (see <see cref="RetryOptions.ShouldRetryException"/>), and never takes down the run or the other agents.
/// An agent must honour the cancellation token it is given: the token is cancelled when the attempt times out,
/// when another attempt of the same task has already succeeded, or when the run is cancelled.
/// </remarks>
public interface IAgent
{
    /// <summary>Does the task described by <paramref name="context"/>.</summary>
    /// <param name="context">The task, its workspace and what the agent may use.</param>
    /// <param name="cancellationToken">Cancelled when the attempt must stop.</param>
    /// <returns>What the attempt achieved.</returns>
    ValueTask<AgentOutcome> RunAsync(AgentContext context, CancellationToken cancellationToken = default);
}
