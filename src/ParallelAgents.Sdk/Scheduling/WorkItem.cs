namespace ParallelAgents.Sdk;

/// <summary>One attempt waiting in the ready queue.</summary>
internal readonly record struct WorkItem(int TaskIndex, int Lane, int Attempt, string? PreviousError);
