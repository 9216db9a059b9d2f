namespace ParallelAgents.Sdk;

/// <summary>
/// Something inside the engine that follows every run as it happens: the live status, the reports, telemetry and the
/// run journal each are one. Unlike <see cref="AgentEngine.WatchAsync(CancellationToken)"/>, observers are called
/// always (not only when someone watches), synchronously, on the thread where the thing happened.
/// </summary>
/// <remarks>
/// Rules for implementations: never block and never throw (an observer's failure must not change a run; the engine
/// does not catch for them on the hot path); be safe to call from several workers at once; keep the work per call
/// small, because the scheduler's dispatch cost (issue 2's benchmark) includes it. Every method has an empty default.
/// </remarks>
internal abstract class RunObserver
{
    /// <summary>A run started, before any task is queued.</summary>
    public virtual void RunStarted(string runId, TaskPlan plan, DateTimeOffset at)
    {
    }

    /// <summary>An attempt started: its workspace is about to be made and its agent run.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="task">The task.</param>
    /// <param name="taskIndex">The task's index in the plan.</param>
    /// <param name="attempt">The attempt's number in its lane, from 1.</param>
    /// <param name="lane">The lane, from 0.</param>
    /// <param name="at">When it started.</param>
    public virtual void AttemptStarted(string runId, AgentTask task, int taskIndex, int attempt, int lane, DateTimeOffset at)
    {
    }

    /// <summary>The attempt's workspace is ready (never called when the task has no isolation).</summary>
    public virtual void WorkspaceReady(AgentTask task, int lane, IAgentWorkspace workspace, TimeSpan startTime)
    {
    }

    /// <summary>An agent reported progress through <see cref="AgentContext.Progress"/>.</summary>
    public virtual void Progress(AgentTask task, int attempt, int lane, AgentProgress progress)
    {
    }

    /// <summary>The engine committed what an attempt left in its workspace (called only when there was something to commit).</summary>
    /// <param name="task">The task.</param>
    /// <param name="attempt">The attempt's number in its lane.</param>
    /// <param name="lane">The lane.</param>
    /// <param name="commit">The commit, with the files it changed.</param>
    public virtual void WorkspaceCommitted(AgentTask task, int attempt, int lane, WorkspaceCommit commit)
    {
    }

    /// <summary>An attempt ended (after its work was committed and, on success, merged).</summary>
    /// <param name="task">The task.</param>
    /// <param name="taskIndex">The task's index in the plan.</param>
    /// <param name="attempt">The attempt's number in its lane.</param>
    /// <param name="lane">The lane.</param>
    /// <param name="status">How it ended.</param>
    /// <param name="duration">How long it took.</param>
    /// <param name="error">Why it failed, or <see langword="null"/>.</param>
    /// <param name="usage">What it used, when the agent reported it.</param>
    public virtual void AttemptEnded(AgentTask task, int taskIndex, int attempt, int lane, AttemptStatus status, TimeSpan duration, string? error, AgentUsage? usage)
    {
    }

    /// <summary>A task reached its final state.</summary>
    public virtual void TaskEnded(AgentTask task, int taskIndex, TaskState state, string? reason, DateTimeOffset at)
    {
    }

    /// <summary>A task's branch was merged, or its merge failed.</summary>
    public virtual void MergeEnded(AgentTask task, MergeResult merge)
    {
    }

    /// <summary>A reviewer (<see cref="IMergeApprover"/>) decided about a task's branch before its merge: approved,
    /// rejected, or a re-run asked for (then another decision follows).</summary>
    public virtual void ReviewDecided(AgentTask task, string branch, ReviewDecision decision)
    {
    }

    /// <summary>A conflict was predicted (<paramref name="cleared"/> false) or a prediction cleared.</summary>
    public virtual void ConflictForecast(ConflictForecast forecast, bool cleared)
    {
    }

    /// <summary>The run ended; <paramref name="result"/> is what <see cref="AgentEngine.RunAsync(TaskPlan, CancellationToken)"/> returns.</summary>
    public virtual void RunEnded(RunResult result)
    {
    }
}
