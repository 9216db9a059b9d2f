namespace ParallelAgents.Sdk;

/// <summary>The live table's model at one moment, copied so that drawing it needs no lock.</summary>
internal sealed record StatusSnapshot(
    string? RunId,
    TimeSpan? Elapsed,
    bool Ended,
    IReadOnlyList<RowSnapshot> Rows,
    IReadOnlyList<MergeResult> Merges,
    IReadOnlyList<ConflictForecast> Conflicts,
    long DroppedEvents);
