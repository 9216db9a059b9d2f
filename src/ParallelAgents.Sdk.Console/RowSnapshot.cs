namespace ParallelAgents.Sdk;

/// <summary>One task's row of the live table at one moment.</summary>
internal sealed record RowSnapshot(
    string TaskId,
    TaskState State,
    int Attempt,
    string Activity,
    string Liveness,
    long ToolCalls,
    long InputTokens,
    long OutputTokens,
    decimal Cost,
    TimeSpan? Elapsed,
    int Files);
