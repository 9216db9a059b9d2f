namespace ParallelAgents.Sdk;

/// <summary>What a run's journal says about one task.</summary>
internal sealed class JournaledTask(string taskId)
{
    public string TaskId { get; } = taskId;

    /// <summary>The task's final state, or <see langword="null"/> when it had not ended.</summary>
    public TaskState? State { get; set; }

    public string? Reason { get; set; }

    public DateTimeOffset CompletedAt { get; set; }

    /// <summary>The highest attempt number started in any lane.</summary>
    public int AttemptsStarted { get; set; }

    /// <summary>The merge that reached the main branch (or found nothing to merge), or <see langword="null"/>.</summary>
    public MergeResult? Merge { get; set; }

    /// <summary>The last merge the journal recorded for the task, whatever its status (a conflict, a failed verify, a
    /// rejection in review...), or <see langword="null"/>: what <c>parallel-agents merge</c> finds branches left
    /// unmerged by.</summary>
    public MergeResult? LastMerge { get; set; }

    /// <summary>Whether the task was cancelled on purpose, rather than with the run.</summary>
    public bool CancelledOnPurpose { get; set; }

    /// <summary>Whether a resumed run keeps the task as it ended: in any final state (succeeded, failed, skipped,
    /// rejected in review...) but cancelled, or cancelled on purpose. A task cancelled with the run, or that had not
    /// ended, runs again.</summary>
    public bool IsDone => State is { } state && (state != TaskState.Cancelled || CancelledOnPurpose);
}
