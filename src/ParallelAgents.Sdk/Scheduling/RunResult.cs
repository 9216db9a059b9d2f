namespace ParallelAgents.Sdk;

/// <summary>How a run ended: the final state of every task.</summary>
public sealed class RunResult
{
    /// <summary>The run's id, also carried by its events, logs, branches and containers.</summary>
    public required string RunId { get; init; }

    /// <summary>Every task's result, in plan order.</summary>
    public required IReadOnlyList<TaskResult> Tasks { get; init; }

    /// <summary>When the run started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the run ended.</summary>
    public required DateTimeOffset CompletedAt { get; init; }

    /// <summary>How long the run took.</summary>
    public TimeSpan Duration => CompletedAt - StartedAt;

    /// <summary>Every merge of a task's branch into the main branch, in the order they ended.</summary>
    /// <value>Empty when the engine has no repository (<see cref="ParallelAgentsBuilder.UseRepository(string, string)"/>)
    /// or no task's workspace was a git checkout.</value>
    public IReadOnlyList<MergeResult> Merges { get; init; } = [];

    /// <summary>The full path of the run's merge summary (<c>reports/merge_summary_&lt;timestamp&gt;.txt</c>), or
    /// <see langword="null"/> when no merge happened or reports are off.</summary>
    public string? MergeSummaryPath { get; init; }

    /// <summary>Whether the run was cancelled before every task ended on its own.</summary>
    public bool WasCancelled { get; init; }

    /// <summary>Whether every task succeeded.</summary>
    public bool Succeeded => Count(TaskState.Succeeded) == Tasks.Count;

    /// <summary>Gets the result of the task with the given id.</summary>
    /// <param name="taskId">The task's id.</param>
    /// <exception cref="KeyNotFoundException">The run had no task with that id.</exception>
    public TaskResult this[string taskId] =>
        Tasks.FirstOrDefault(t => string.Equals(t.TaskId, taskId, StringComparison.Ordinal))
        ?? throw new KeyNotFoundException($"The run had no task with id '{taskId}'.");

    /// <summary>How many tasks ended in the given state.</summary>
    /// <param name="state">The state to count.</param>
    /// <returns>The number of tasks in that state.</returns>
    public int Count(TaskState state) =>
        // The engine's own list counts states without building every task's result.
        Tasks is TaskResultList list ? list.CountState(state) : Tasks.Count(t => t.State == state);

    /// <inheritdoc/>
    public override string ToString()
    {
        // Rejected only when a review rejected something, so that runs without review read as before.
        int rejected = Count(TaskState.Rejected);
        return $"Run {RunId}: {Count(TaskState.Succeeded)} succeeded, {Count(TaskState.Failed)} failed, " +
            (rejected == 0 ? "" : $"{rejected} rejected, ") +
            $"{Count(TaskState.Skipped)} skipped, {Count(TaskState.Cancelled)} cancelled in {Duration}";
    }
}
