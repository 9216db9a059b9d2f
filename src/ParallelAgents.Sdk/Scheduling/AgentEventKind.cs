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
}
