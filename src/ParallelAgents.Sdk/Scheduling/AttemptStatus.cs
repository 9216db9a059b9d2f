namespace ParallelAgents.Sdk;

/// <summary>How one attempt of a task ended.</summary>
public enum AttemptStatus
{
    /// <summary>The agent reported success.</summary>
    Succeeded = 0,

    /// <summary>The agent reported failure or threw.</summary>
    Failed = 1,

    /// <summary>The attempt ran past the task's <c>timeout</c> and was cancelled.</summary>
    TimedOut = 2,

    /// <summary>The attempt was cancelled: the run was cancelled, or another agent on the same task succeeded first.</summary>
    Cancelled = 3,
}
