namespace ParallelAgents.Sdk;

/// <summary>How an agent's attempt at a task ended, as the agent reports it.</summary>
public enum AgentOutcomeStatus
{
    /// <summary>The task is done.</summary>
    Succeeded = 0,

    /// <summary>The task is not done; <see cref="AgentOutcome.IsTransient"/> says whether another attempt may succeed.</summary>
    Failed = 1,
}
