namespace ParallelAgents.Sdk;

/// <summary>How an agent's attempt at a task ended, as the agent reports it.</summary>
public enum AgentOutcomeStatus
{
    /// <summary>The task is done.</summary>
    Succeeded = 0,

    /// <summary>The task is not done; <see cref="AgentOutcome.IsTransient"/> says whether another attempt may succeed.</summary>
    Failed = 1,

    /// <summary>The agent ran out of a budget (tokens, turns or tool calls) before the task was done. Its work so far
    /// is kept (committed, when the workspace is a git checkout); another attempt would run out the same way, so the
    /// failure is not transient.</summary>
    BudgetExceeded = 2,
}
