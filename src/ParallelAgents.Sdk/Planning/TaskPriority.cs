namespace ParallelAgents.Sdk;

/// <summary>
/// How urgently a task should start once it is ready. Among ready tasks the scheduler starts higher
/// priorities first, then the task with the longest remaining path through the plan.
/// </summary>
/// <remarks>Written in a task file as <c>high</c>, <c>medium</c> or <c>low</c>.</remarks>
public enum TaskPriority
{
    /// <summary>Starts after every ready <see cref="Medium"/> and <see cref="High"/> task.</summary>
    Low = 0,

    /// <summary>The default priority.</summary>
    Medium = 1,

    /// <summary>Starts before every ready <see cref="Medium"/> and <see cref="Low"/> task.</summary>
    High = 2,
}
