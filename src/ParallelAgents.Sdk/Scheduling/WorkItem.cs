namespace ParallelAgents.Sdk;

/// <summary>One attempt waiting in the ready queue.</summary>
internal readonly record struct WorkItem(int TaskIndex, int Lane, int Attempt, string? PreviousError);

/// <summary>
/// Orders the ready queue: higher priority first, then the longer remaining path through the plan (so the
/// critical path starts early), then plan order, then lane. The prioritized channel reads the lowest first.
/// </summary>
internal sealed class WorkItemComparer : IComparer<WorkItem>
{
    private readonly int[] _priority;
    private readonly double[] _remainingPath;

    public WorkItemComparer(IReadOnlyList<AgentTask> tasks, double[] remainingPath)
    {
        _priority = [.. tasks.Select(t => (int)t.Priority)];
        _remainingPath = remainingPath;
    }

    public int Compare(WorkItem x, WorkItem y)
    {
        int byPriority = _priority[y.TaskIndex].CompareTo(_priority[x.TaskIndex]);
        if (byPriority != 0)
        {
            return byPriority;
        }

        int byPath = _remainingPath[y.TaskIndex].CompareTo(_remainingPath[x.TaskIndex]);
        if (byPath != 0)
        {
            return byPath;
        }

        int byIndex = x.TaskIndex.CompareTo(y.TaskIndex);
        return byIndex != 0 ? byIndex : x.Lane.CompareTo(y.Lane);
    }
}
