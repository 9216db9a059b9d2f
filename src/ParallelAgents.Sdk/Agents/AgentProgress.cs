namespace ParallelAgents.Sdk;

/// <summary>One thing an agent did while it worked, reported through <see cref="AgentContext.Progress"/>: the engine
/// turns these into each agent's live status (last activity, tool calls, tokens, cost, files changed) and telemetry.</summary>
/// <remarks>Agents report as they go; a report is cheap and never blocks. The built-in agents report every model call,
/// tool call, command and file change; a custom agent reports what it can.</remarks>
public sealed record AgentProgress
{
    /// <summary>What the agent did.</summary>
    public required AgentProgressKind Kind { get; init; }

    /// <summary>The tool's name for <see cref="AgentProgressKind.ToolCall"/>, the command line for
    /// <see cref="AgentProgressKind.CommandRun"/>; otherwise <see langword="null"/>.</summary>
    public string? Name { get; init; }

    /// <summary>The workspace-relative path, with forward slashes, for <see cref="AgentProgressKind.FileChanged"/>.</summary>
    public string? Path { get; init; }

    /// <summary>Whether the tool call or command succeeded; <see langword="null"/> when it does not apply.</summary>
    public bool? Succeeded { get; init; }

    /// <summary>The input (prompt) tokens of a <see cref="AgentProgressKind.ModelCall"/>.</summary>
    public long InputTokens { get; init; }

    /// <summary>The output (completion) tokens of a <see cref="AgentProgressKind.ModelCall"/>.</summary>
    public long OutputTokens { get; init; }

    /// <summary>What a <see cref="AgentProgressKind.ModelCall"/> cost, from the agent's model prices; 0 when unknown.</summary>
    public decimal Cost { get; init; }

    /// <summary>How long the model call, tool call or command took, when known.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>A short free-form description, for <see cref="AgentProgressKind.Note"/> or to add detail.</summary>
    public string? Message { get; init; }

    /// <summary>A model call's report.</summary>
    /// <param name="inputTokens">The call's input tokens.</param>
    /// <param name="outputTokens">The call's output tokens.</param>
    /// <param name="cost">What the call cost.</param>
    /// <param name="duration">How long it took, when known.</param>
    /// <returns>The report.</returns>
    public static AgentProgress ModelCall(long inputTokens, long outputTokens, decimal cost, TimeSpan? duration = null) =>
        new() { Kind = AgentProgressKind.ModelCall, InputTokens = inputTokens, OutputTokens = outputTokens, Cost = cost, Duration = duration };

    /// <summary>A tool call's report.</summary>
    /// <param name="name">The tool's name.</param>
    /// <param name="succeeded">Whether it succeeded.</param>
    /// <param name="duration">How long it took, when known.</param>
    /// <returns>The report.</returns>
    public static AgentProgress ToolCall(string name, bool succeeded, TimeSpan? duration = null) =>
        new() { Kind = AgentProgressKind.ToolCall, Name = name, Succeeded = succeeded, Duration = duration };

    /// <summary>A file change's report.</summary>
    /// <param name="path">The workspace-relative path.</param>
    /// <returns>The report.</returns>
    public static AgentProgress FileChanged(string path) => new() { Kind = AgentProgressKind.FileChanged, Path = path };

    /// <summary>A command's report.</summary>
    /// <param name="commandLine">The command line.</param>
    /// <param name="succeeded">Whether it exited with 0.</param>
    /// <param name="duration">How long it took.</param>
    /// <returns>The report.</returns>
    public static AgentProgress CommandRun(string commandLine, bool succeeded, TimeSpan? duration = null) =>
        new() { Kind = AgentProgressKind.CommandRun, Name = commandLine, Succeeded = succeeded, Duration = duration };
}
