namespace ParallelAgents.Sdk;

/// <summary>
/// Plans waiting to run on the container's <see cref="AgentEngine"/>. The hosted service that
/// <see cref="ParallelAgentsServiceCollectionExtensions.AddParallelAgents(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{ParallelAgentsOptions}?)"/>
/// registers runs them one after another, in the order they were submitted, while the host runs.
/// </summary>
/// <remarks>
/// <para>When the host stops, the run in progress is cancelled: its agents are asked to stop, each commits its work in
/// progress on its branch (<c>agent/&lt;task-id&gt;</c>), the branches are left in place, and the run's
/// <see cref="QueuedRun.Completion"/> gets a <see cref="RunResult"/> with <see cref="RunResult.WasCancelled"/> set.
/// Plans still waiting are not run: their <see cref="QueuedRun.Completion"/> fails with a
/// <see cref="RunNotStartedException"/>: submit those plans again. The stopped run's journal (see
/// <see cref="AgentEngineOptions.StateDirectory"/>) says it is unfinished: after a restart,
/// <see cref="AgentEngine.ResumeAsync(string, CancellationToken)"/> with its <see cref="QueuedRun.RunId"/> finishes it
/// without redoing the tasks that had succeeded, each cancelled task continuing from its branch's work in progress.</para>
/// <para>The queue is served only by the hosted service; without a running host, run plans with
/// <see cref="AgentEngine.RunAsync(TaskPlan, CancellationToken)"/> instead. The engine runs one plan at a time, so do
/// not call <c>RunAsync</c> yourself while the queue may be running one.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix",
    Justification = "It is a first-in, first-out queue of runs, and the name users look for.")]
public interface IAgentRunQueue
{
    /// <summary>How many submitted plans are waiting for their turn (the one running is not counted).</summary>
    int PendingCount { get; }

    /// <summary>Adds <paramref name="plan"/> to the end of the queue.</summary>
    /// <param name="plan">The validated plan to run.</param>
    /// <param name="cancellationToken">Cancels this run: while it waits, it is taken off the queue (its completion
    /// fails with <see cref="RunNotStartedException"/>); while it runs, it is cancelled as at shutdown.</param>
    /// <returns>The queued run: its id (the <see cref="RunResult.RunId"/> it will have) and its completion.</returns>
    /// <exception cref="InvalidOperationException">The queue is closed because the host is stopping.</exception>
    QueuedRun Submit(TaskPlan plan, CancellationToken cancellationToken = default);
}
