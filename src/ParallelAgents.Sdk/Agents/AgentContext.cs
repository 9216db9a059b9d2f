using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk;

/// <summary>Everything an agent gets for one attempt at one task.</summary>
/// <remarks>The engine makes one for each attempt; tests of an agent can make their own.</remarks>
public sealed class AgentContext
{
    /// <summary>The id of the run the attempt belongs to.</summary>
    public required string RunId { get; init; }

    /// <summary>The task to do.</summary>
    public required AgentTask Task { get; init; }

    /// <summary>The attempt's number within its lane, starting at 1.</summary>
    /// <value>The default is 1.</value>
    public int Attempt { get; init; } = 1;

    /// <summary>Which of the task's <see cref="AgentTask.AgentCount"/> parallel agents this is, starting at 0.</summary>
    /// <value>The default is 0.</value>
    public int Lane { get; init; }

    /// <summary>The attempt's isolated workspace, or <see langword="null"/> when the engine has no isolation provider.</summary>
    public IAgentWorkspace? Workspace { get; init; }

    /// <summary>The store through which agents share discoveries, decisions and conflicts, or <see langword="null"/>
    /// when the engine has none (see <see cref="ParallelAgentsBuilder.UseSharedMemory(ISharedMemory)"/>).</summary>
    public ISharedMemory? Memory { get; init; }

    /// <summary>The results of the tasks this task depends on, each succeeded, with their summaries.</summary>
    /// <value>The default is empty.</value>
    public IReadOnlyList<TaskResult> Dependencies { get; init; } = [];

    /// <summary>Why this lane's previous attempt failed, or <see langword="null"/> on a first attempt.</summary>
    public string? PreviousError { get; init; }

    /// <summary>A logger whose scope carries the run id, task id and attempt.</summary>
    /// <value>The default logs nowhere.</value>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Where the agent reports what it does as it works (model calls, tool calls, commands, file changes), for
    /// the engine's live status and telemetry. Reporting never blocks.</summary>
    /// <value>The default reports nowhere.</value>
    public IProgress<AgentProgress> Progress { get; init; } = NoAgentProgress.Instance;
}
