namespace ParallelAgents.Sdk;

/// <summary>What an <see cref="AgentEvent"/> reports.</summary>
public enum AgentEventKind
{
    /// <summary>A run started.</summary>
    RunStarted = 0,

    /// <summary>A task's dependencies succeeded and it waits for an agent slot.</summary>
    TaskQueued = 1,

    /// <summary>An agent started an attempt at a task.</summary>
    TaskStarted = 2,

    /// <summary>An attempt failed transiently; the next one starts after <see cref="AgentEvent.Delay"/>.</summary>
    TaskRetrying = 3,

    /// <summary>One attempt failed for good while other agents on the same task go on.</summary>
    AttemptFailed = 4,

    /// <summary>A task succeeded.</summary>
    TaskSucceeded = 5,

    /// <summary>A task failed for good.</summary>
    TaskFailed = 6,

    /// <summary>A task was skipped because a task it depends on did not succeed.</summary>
    TaskSkipped = 7,

    /// <summary>A task was cancelled with the run.</summary>
    TaskCancelled = 8,

    /// <summary>A run ended; <see cref="AgentEvent.Result"/> holds its result.</summary>
    RunCompleted = 9,

    /// <summary>This watcher fell behind and lost its oldest events; <see cref="AgentEvent.DroppedCount"/> says how many.</summary>
    EventsDropped = 10,

    /// <summary>A task's branch reached the main branch (merged, or resolved then merged), or had nothing to merge;
    /// <see cref="AgentEvent.Merge"/> holds the merge's result.</summary>
    BranchMerged = 11,

    /// <summary>A task's branch did not reach the main branch (an unresolved conflict, or the plan's <c>verify</c>
    /// commands failed on the merged tree); <see cref="AgentEvent.Merge"/> says why, and the branch is kept.</summary>
    MergeFailed = 12,

    /// <summary>A commit of a running task conflicts with the main branch or with another running task's branch;
    /// <see cref="AgentEvent.Forecast"/> names the tasks, files and lines. The merge has not happened yet.</summary>
    ConflictPredicted = 13,

    /// <summary>A conflict predicted earlier no longer holds (a later commit removed it, or a branch was merged or
    /// dropped); <see cref="AgentEvent.Forecast"/> is the prediction that was cleared.</summary>
    ConflictCleared = 14,

    /// <summary>An agent reported progress (a model call, tool call, command or file change):
    /// <see cref="AgentEvent.Progress"/> holds the report and <see cref="AgentEvent.AgentStatus"/> the agent's status
    /// after it. Published only while someone watches.</summary>
    AgentProgress = 15,
}
