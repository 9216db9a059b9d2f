using Spectre.Console;
using Spectre.Console.Rendering;

namespace ParallelAgents.Sdk;

/// <summary>
/// A live status table of a run for Spectre.Console: one row per task with its state, attempt, last activity, whether
/// its agent is active or idle, tool calls, tokens, cost, elapsed time and files changed, then the merges and the
/// conflicts predicted. Feed it the engine's events with <see cref="Apply(AgentEvent)"/> and write it to a console (it
/// is an <see cref="IRenderable"/>: each render shows the latest state); or let
/// <see cref="AgentStatusTableExtensions.RunWithLiveTableAsync(AgentEngine, TaskPlan, IAnsiConsole?, CancellationToken)"/> do both.
/// </summary>
/// <remarks>Thread-safe: events may be applied on one thread while the table is drawn on another.</remarks>
public sealed class AgentStatusTable : IRenderable
{
    private readonly AgentStatusModel _model = new();
    private readonly TimeProvider _time;

    /// <summary>Makes an empty table; rows appear as tasks' events arrive.</summary>
    /// <param name="timeProvider">The clock elapsed times and idleness are measured by; the default is the system clock.</param>
    public AgentStatusTable(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Makes a table with a row for every task of <paramref name="plan"/>, in plan order.</summary>
    /// <param name="plan">The plan about to run.</param>
    /// <param name="timeProvider">The clock elapsed times and idleness are measured by; the default is the system clock.</param>
    public AgentStatusTable(TaskPlan plan, TimeProvider? timeProvider = null)
        : this(timeProvider)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _model.AddPlan(plan);
    }

    /// <summary>How long a running agent may go without doing anything before its row says <c>idle</c> instead of
    /// <c>active</c>.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan IdleAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Takes one of the engine's events into the table.</summary>
    /// <param name="agentEvent">An event from <see cref="AgentEngine.WatchAsync(CancellationToken)"/>.</param>
    /// <returns>What happened, as one line of plain text (the task's id first), for consoles that cannot redraw; or
    /// <see langword="null"/> for an event not worth a line.</returns>
    public string? Apply(AgentEvent agentEvent)
    {
        ArgumentNullException.ThrowIfNull(agentEvent);
        return _model.Apply(agentEvent);
    }

    /// <summary>Takes a run's final result into the table: every task's final state, whatever events were missed.</summary>
    /// <param name="result">What <see cref="AgentEngine.RunAsync(TaskPlan, CancellationToken)"/> returned.</param>
    public void Apply(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        _model.ApplyResult(result);
    }

    /// <summary>Takes one of an agent's progress reports (a model call's tokens and cost, a tool call, a command, a file
    /// changed) into its task's row, for hosts that see the reports themselves.</summary>
    /// <param name="taskId">The task whose agent reported.</param>
    /// <param name="progress">The report.</param>
    /// <returns>What the agent did, as one line of plain text (the task's id first).</returns>
    /// <remarks>The engine's <see cref="AgentEventKind.AgentProgress"/> events already carry the built-in agents'
    /// reports: feed reports here only when they do not reach the engine.</remarks>
    public string Apply(string taskId, AgentProgress progress)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        ArgumentNullException.ThrowIfNull(progress);
        return _model.Apply(taskId, progress, _time.GetUtcNow());
    }

    /// <summary>Takes the engine's status of every agent (from <see cref="AgentEngine.GetStatus"/>) into the table:
    /// each task's tool calls, tokens, cost and files, whatever events were missed. A status of another run is ignored.</summary>
    /// <param name="status">The status.</param>
    public void Apply(RunStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        _model.Apply(status);
    }

    /// <inheritdoc/>
    public Measurement Measure(RenderOptions options, int maxWidth) => Current().Measure(options, maxWidth);

    /// <inheritdoc/>
    public IEnumerable<Segment> Render(RenderOptions options, int maxWidth) => Current().Render(options, maxWidth);

    internal AgentStatusModel Model => _model;

    internal StatusSnapshot Snapshot() => _model.Snapshot(_time.GetUtcNow(), IdleAfter);

    private IRenderable Current() => AgentStatusRenderer.Render(Snapshot());
}
