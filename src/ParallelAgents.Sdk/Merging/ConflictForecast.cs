namespace ParallelAgents.Sdk;

/// <summary>
/// A conflict predicted while agents work: a task's latest commit would not merge cleanly with another live task's
/// branch, or with the main branch. Raised by <see cref="ConflictForecaster"/> and stored in the shared memory under
/// <see cref="MemoryKey"/>.
/// </summary>
public sealed class ConflictForecast
{
    /// <summary>The task whose commit revealed the conflict.</summary>
    public required string TaskId { get; init; }

    /// <summary>That task's branch, such as <c>agent/backend-api</c>; empty when the task's commit was checked without
    /// its branch being tracked (<see cref="ConflictForecaster.TrackBranch"/>).</summary>
    public required string Branch { get; init; }

    /// <summary>The task's commit the forecast was computed from.</summary>
    public required string Commit { get; init; }

    /// <summary>The other task, or <see langword="null"/> when the conflict is with the main branch.</summary>
    public string? OtherTaskId { get; init; }

    /// <summary>The other side's branch: the other task's branch, or the main branch.</summary>
    public required string OtherBranch { get; init; }

    /// <summary>The other side's commit the forecast was computed from.</summary>
    public required string OtherCommit { get; init; }

    /// <summary>The files that would conflict. In each, <see cref="MergeConflict.OursLines"/> are the lines of
    /// <see cref="TaskId"/>'s version and <see cref="MergeConflict.TheirsLines"/> those of the other side's.</summary>
    public required IReadOnlyList<MergeConflict> Conflicts { get; init; }

    /// <summary>When the conflict was first predicted (it keeps this time while later commits leave it unchanged).</summary>
    public DateTimeOffset PredictedAt { get; init; }

    /// <summary>The shared memory key the forecast is stored under, such as
    /// <c>conflicts/predicted/backend-api/frontend</c> (task ids in ordinal order) or
    /// <c>conflicts/predicted/backend-api/@main</c>.</summary>
    public required string MemoryKey { get; init; }

    /// <summary>Whether the other side is the main branch.</summary>
    public bool IsWithMain => OtherTaskId is null;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{TaskId} vs {(OtherTaskId ?? OtherBranch)}: {string.Join(", ", Conflicts.Select(c => c.Path))}";
}
