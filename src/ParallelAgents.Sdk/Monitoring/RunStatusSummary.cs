namespace ParallelAgents.Sdk;

/// <summary>The totals of a <see cref="RunStatus"/>: the original coordinator's <c>total_agents</c>,
/// <c>active_agents</c> and <c>total_files</c>, and what the agents used.</summary>
public sealed class RunStatusSummary
{
    /// <summary>How many agents the run has (every lane of every task).</summary>
    public int TotalAgents { get; init; }

    /// <summary>How many agents are Active (<see cref="AgentStatus.IsActive"/>).</summary>
    public int ActiveAgents { get; init; }

    /// <summary>How many agents have an attempt running, Active or Idle.</summary>
    public int RunningAgents { get; init; }

    /// <summary>The number of files changed, summed over the agents (a file two agents changed counts twice, as the
    /// original summed its workspaces).</summary>
    public int TotalFiles { get; init; }

    /// <summary>The tool calls of every agent.</summary>
    public int ToolCalls { get; init; }

    /// <summary>The input tokens of every agent.</summary>
    public long InputTokens { get; init; }

    /// <summary>The output tokens of every agent.</summary>
    public long OutputTokens { get; init; }

    /// <summary>What every agent's model calls cost.</summary>
    public decimal Cost { get; init; }
}
