using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk;

/// <summary>Everything an agent gets for one attempt at one task.</summary>
/// <remarks>The engine makes one for each attempt; tests of an agent can make their own.</remarks>
public sealed class AgentContext
{
    // What every attempt of a run shares (run id, memory, logger, and where the engine's contexts get their
    // dependencies and progress from): one object per run for the engine's contexts, which keeps each context small;
    // an initializer that sets one of them makes a copy.
    private AgentContextRun? _run;
    private readonly int _taskIndex;

    // Made when first read for a context the engine made (an agent that never reads them costs no allocation), or as
    // given in an initializer.
    private IReadOnlyList<TaskResult>? _dependencies;
    private IProgress<AgentProgress>? _progress;

    /// <summary>Creates a context; set <see cref="RunId"/> and <see cref="Task"/>, and what else the agent needs, in an
    /// object initializer.</summary>
    public AgentContext()
    {
    }

    /// <summary>A context made by the engine, whose <see cref="Dependencies"/> and <see cref="Progress"/> come from
    /// <paramref name="run"/>'s source when first read.</summary>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
#pragma warning disable CS8618 // RunId is read from the run's shared part, which is set here.
    internal AgentContext(AgentContextRun run, AgentTask task, int taskIndex)
#pragma warning restore CS8618
    {
        _run = run;
        Task = task;
        _taskIndex = taskIndex;
    }

    /// <summary>The id of the run the attempt belongs to.</summary>
    public required string RunId
    {
        get => _run?.RunId ?? string.Empty;
        init => _run = (_run ?? AgentContextRun.Empty) with { RunId = value };
    }

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
    public ISharedMemory? Memory
    {
        get => _run?.Memory;
        init => _run = (_run ?? AgentContextRun.Empty) with { Memory = value };
    }

    /// <summary>The results of the tasks this task depends on, each succeeded, with their summaries.</summary>
    /// <value>The default is empty.</value>
    public IReadOnlyList<TaskResult> Dependencies
    {
        get => _dependencies ?? Made(ref _dependencies, _run?.Source is { } source ? source.DependenciesOf(_taskIndex) : []);
        init => _dependencies = value;
    }

    /// <summary>Why this lane's previous attempt failed, or <see langword="null"/> on a first attempt.</summary>
    public string? PreviousError { get; init; }

    /// <summary>A logger whose scope carries the run id, task id and attempt.</summary>
    /// <value>The default logs nowhere.</value>
    public ILogger Logger
    {
        get => _run?.Logger ?? NullLogger.Instance;
        init => _run = (_run ?? AgentContextRun.Empty) with { Logger = value };
    }

    /// <summary>Where the agent reports what it does as it works (model calls, tool calls, commands, file changes), for
    /// the engine's live status and telemetry. Reporting never blocks.</summary>
    /// <value>The default reports nowhere.</value>
    public IProgress<AgentProgress> Progress
    {
        get => _progress ?? Made(ref _progress, _run?.Source is { } source ? source.ProgressOf(Task, Attempt, Lane) : NoAgentProgress.Instance);
        init => _progress = value;
    }

    /// <summary>Keeps the first of two values made at once, so every reader sees the same one.</summary>
    private static T Made<T>(ref T? field, T made)
        where T : class => Interlocked.CompareExchange(ref field, made, null) ?? made;
}

/// <summary>What every <see cref="AgentContext"/> of one run shares.</summary>
/// <param name="RunId">The run's id.</param>
/// <param name="Memory">The engine's shared memory, if any.</param>
/// <param name="Logger">The logger handed to agents.</param>
/// <param name="Source">Where the engine's contexts get their dependencies and progress from; <see langword="null"/>
/// for a context made by hand.</param>
internal sealed record AgentContextRun(string RunId, ISharedMemory? Memory, ILogger Logger, IAttemptSource? Source)
{
    /// <summary>A hand-made context's, before its initializer sets anything.</summary>
    public static readonly AgentContextRun Empty = new(string.Empty, null, NullLogger.Instance, null);
}
