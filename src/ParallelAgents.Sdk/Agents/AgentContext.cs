using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk;

/// <summary>Everything an agent gets for one attempt at one task.</summary>
/// <remarks>The engine makes one for each attempt; tests of an agent can make their own.</remarks>
public sealed class AgentContext
{
    // Made when first read for a context the engine made (an agent that never reads them costs no allocation), or as
    // given in an initializer.
    private readonly IAttemptSource? _source;
    private readonly int _taskIndex;
    private IReadOnlyList<TaskResult>? _dependencies;
    private IProgress<AgentProgress>? _progress;

    /// <summary>Creates a context; set <see cref="RunId"/> and <see cref="Task"/>, and what else the agent needs, in an
    /// object initializer.</summary>
    public AgentContext()
    {
    }

    /// <summary>A context made by the engine, whose <see cref="Dependencies"/> and <see cref="Progress"/> come from
    /// <paramref name="source"/> when first read.</summary>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal AgentContext(string runId, AgentTask task, int taskIndex, IAttemptSource source)
    {
        RunId = runId;
        Task = task;
        _taskIndex = taskIndex;
        _source = source;
    }

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
    public IReadOnlyList<TaskResult> Dependencies
    {
        get => _dependencies ?? Made(ref _dependencies, _source is null ? [] : _source.DependenciesOf(_taskIndex));
        init => _dependencies = value;
    }

    /// <summary>Why this lane's previous attempt failed, or <see langword="null"/> on a first attempt.</summary>
    public string? PreviousError { get; init; }

    /// <summary>A logger whose scope carries the run id, task id and attempt.</summary>
    /// <value>The default logs nowhere.</value>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Where the agent reports what it does as it works (model calls, tool calls, commands, file changes), for
    /// the engine's live status and telemetry. Reporting never blocks.</summary>
    /// <value>The default reports nowhere.</value>
    public IProgress<AgentProgress> Progress
    {
        get => _progress ?? Made(ref _progress, _source is null ? NoAgentProgress.Instance : _source.ProgressOf(Task, Attempt, Lane));
        init => _progress = value;
    }

    /// <summary>Keeps the first of two values made at once, so every reader sees the same one.</summary>
    private static T Made<T>(ref T? field, T made)
        where T : class => Interlocked.CompareExchange(ref field, made, null) ?? made;
}
