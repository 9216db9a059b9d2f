namespace ParallelAgents.Sdk;

/// <summary>An agent's status as stored under <c>status/&lt;agent&gt;</c>, as the original's "started" and "completed".</summary>
/// <param name="Status">The status, such as <c>started</c> or <c>completed</c>.</param>
/// <param name="Detail">What the agent is doing, or why it stopped.</param>
public sealed record AgentStatusReport(string Status, string? Detail = null);
