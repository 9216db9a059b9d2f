namespace ParallelAgents.Sdk;

/// <summary>Calls several <see cref="RunObserver"/>s in order.</summary>
internal sealed class CompositeRunObserver(RunObserver[] observers) : RunObserver
{
    /// <summary>One observer for <paramref name="observers"/>: <see langword="null"/> for none, so a run without
    /// observers pays one null check per call site.</summary>
    public static RunObserver? Create(IReadOnlyList<RunObserver> observers) => observers.Count switch
    {
        0 => null,
        1 => observers[0],
        _ => new CompositeRunObserver([.. observers]),
    };

    public override void RunStarted(string runId, TaskPlan plan, DateTimeOffset at)
    {
        foreach (RunObserver o in observers)
        {
            o.RunStarted(runId, plan, at);
        }
    }

    public override void AttemptStarted(string runId, AgentTask task, int taskIndex, int attempt, int lane, DateTimeOffset at)
    {
        foreach (RunObserver o in observers)
        {
            o.AttemptStarted(runId, task, taskIndex, attempt, lane, at);
        }
    }

    public override void WorkspaceReady(AgentTask task, int lane, IAgentWorkspace workspace, TimeSpan startTime)
    {
        foreach (RunObserver o in observers)
        {
            o.WorkspaceReady(task, lane, workspace, startTime);
        }
    }

    public override void Progress(AgentTask task, int attempt, int lane, AgentProgress progress)
    {
        foreach (RunObserver o in observers)
        {
            o.Progress(task, attempt, lane, progress);
        }
    }

    public override void WorkspaceCommitted(AgentTask task, int attempt, int lane, WorkspaceCommit commit)
    {
        foreach (RunObserver o in observers)
        {
            o.WorkspaceCommitted(task, attempt, lane, commit);
        }
    }

    public override void AttemptEnded(AgentTask task, int taskIndex, int attempt, int lane, AttemptStatus status, TimeSpan duration, string? error, AgentUsage? usage)
    {
        foreach (RunObserver o in observers)
        {
            o.AttemptEnded(task, taskIndex, attempt, lane, status, duration, error, usage);
        }
    }

    public override void TaskEnded(AgentTask task, int taskIndex, TaskState state, string? reason, DateTimeOffset at)
    {
        foreach (RunObserver o in observers)
        {
            o.TaskEnded(task, taskIndex, state, reason, at);
        }
    }

    public override void MergeEnded(AgentTask task, MergeResult merge)
    {
        foreach (RunObserver o in observers)
        {
            o.MergeEnded(task, merge);
        }
    }

    public override void ReviewDecided(AgentTask task, string branch, ReviewDecision decision)
    {
        foreach (RunObserver o in observers)
        {
            o.ReviewDecided(task, branch, decision);
        }
    }

    public override void ConflictForecast(ConflictForecast forecast, bool cleared)
    {
        foreach (RunObserver o in observers)
        {
            o.ConflictForecast(forecast, cleared);
        }
    }

    public override void RunEnded(RunResult result)
    {
        foreach (RunObserver o in observers)
        {
            o.RunEnded(result);
        }
    }
}
