namespace ParallelAgents.Sdk;

/// <summary>One attempt waiting in the ready queue.</summary>
internal readonly record struct WorkItem(int TaskIndex, int Lane, int Attempt, string? PreviousError);

/// <summary>
/// Orders the ready queue by the plan's precomputed rank (higher priority first, then the longer remaining path
/// through the plan so the critical path starts early, then plan order), then by lane. The prioritized channel
/// reads the lowest first.
/// </summary>
internal sealed class WorkItemComparer(int[] rank) : IComparer<WorkItem>
{
    public int Compare(WorkItem x, WorkItem y)
    {
        int byRank = rank[x.TaskIndex].CompareTo(rank[y.TaskIndex]);
        return byRank != 0 ? byRank : x.Lane.CompareTo(y.Lane);
    }
}
