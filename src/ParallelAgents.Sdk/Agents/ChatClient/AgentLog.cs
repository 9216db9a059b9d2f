using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>The chat-client agent's log messages; the engine's scope adds the run, task and attempt to each.</summary>
internal static partial class AgentLog
{
    [LoggerMessage(101, LogLevel.Debug, "Agent started with template {Template}; transcript at {Transcript}")]
    public static partial void Started(ILogger logger, string template, string transcript);

    [LoggerMessage(102, LogLevel.Debug, "Tool {Tool} failed; the error goes back to the model")]
    public static partial void ToolFailed(ILogger logger, string tool, Exception exception);

    [LoggerMessage(103, LogLevel.Information, "Checks failed in round {Round} of {MaxRounds}: {Failure}")]
    public static partial void ChecksFailed(ILogger logger, int round, int maxRounds, string failure);

    [LoggerMessage(104, LogLevel.Warning, "Agent stopped: {Reason}; {Kept}")]
    public static partial void BudgetExceeded(ILogger logger, string reason, string kept);

    [LoggerMessage(105, LogLevel.Warning, "The transcript could not be written to {Directory}; the attempt goes on without one")]
    public static partial void TranscriptFailed(ILogger logger, string directory, Exception exception);

    [LoggerMessage(106, LogLevel.Information, "Agent done after {Turns} turns and {ToolCalls} tool calls: {InputTokens} input and {OutputTokens} output tokens, cost {Cost}")]
    public static partial void Done(ILogger logger, int turns, int toolCalls, long inputTokens, long outputTokens, decimal cost);

    [LoggerMessage(107, LogLevel.Warning, "Committing the work of a stopped agent failed")]
    public static partial void CommitFailed(ILogger logger, Exception exception);
}
