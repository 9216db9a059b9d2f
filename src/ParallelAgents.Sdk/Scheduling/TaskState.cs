namespace ParallelAgents.Sdk;

/// <summary>Where a task stands in a run.</summary>
public enum TaskState
{
    /// <summary>Waiting for its dependencies.</summary>
    Pending = 0,

    /// <summary>Ready, waiting for a free agent slot.</summary>
    Queued = 1,

    /// <summary>An agent is working on it.</summary>
    Running = 2,

    /// <summary>An attempt failed transiently; the next attempt waits for its backoff delay.</summary>
    Retrying = 3,

    /// <summary>Done: an attempt succeeded. Final.</summary>
    Succeeded = 4,

    /// <summary>Every attempt failed, or one failed for a reason that retrying cannot fix. Final.</summary>
    Failed = 5,

    /// <summary>Not run because a task it depends on failed or was skipped. Final.</summary>
    Skipped = 6,

    /// <summary>Stopped, or never started, because the run was cancelled (tasks that depend on a cancelled task are
    /// cancelled too, not skipped). Final.</summary>
    Cancelled = 7,

    /// <summary>Its work was done but rejected in review before merge (<see cref="IMergeApprover"/>): the branch stays
    /// as it is and the tasks that depend on it are skipped. Final.</summary>
    Rejected = 8,
}
