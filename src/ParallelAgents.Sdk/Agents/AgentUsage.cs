namespace ParallelAgents.Sdk;

/// <summary>What one attempt of an agent used: model turns, tool calls, tokens and their cost.</summary>
/// <param name="InputTokens">The input (prompt) tokens the model reported, summed over every call.</param>
/// <param name="OutputTokens">The output (completion) tokens the model reported, summed over every call.</param>
/// <param name="Cost">What the tokens cost, from <see cref="ChatClientAgentOptions.Prices"/>; 0 when the model has no price.</param>
/// <param name="ToolCalls">How many tools the model called.</param>
/// <param name="Turns">How many times the model was called.</param>
public sealed record AgentUsage(long InputTokens, long OutputTokens, decimal Cost, int ToolCalls, int Turns)
{
    /// <summary>Input and output tokens together.</summary>
    public long TotalTokens => InputTokens + OutputTokens;
}
