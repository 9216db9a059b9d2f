namespace ParallelAgents.Sdk;

/// <summary>One attempt waiting in the ready queue.</summary>
internal readonly record struct WorkItem(int TaskIndex, int Lane, int Attempt, string? PreviousError)
{
    /// <summary>The worker's <see cref="WorkerState.Readings"/> when the attempt became its to run: a reading taken
    /// after that (a later count) is at or after the end of every dependency, so the attempt may start at it (see
    /// <see cref="WorkerState.LastReading"/>). Set by the worker that holds the attempt; the queue does not keep it.</summary>
    public int ReadyAt { get; init; }

    /// <summary>Whether <paramref name="other"/> is the same attempt (task, lane and number), wherever it was kept.</summary>
    public bool IsSameAttempt(in WorkItem other) => TaskIndex == other.TaskIndex && Lane == other.Lane && Attempt == other.Attempt;
}
