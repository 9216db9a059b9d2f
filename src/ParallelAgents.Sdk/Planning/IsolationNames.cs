namespace ParallelAgents.Sdk;

/// <summary>The names of the built-in isolation kinds a task can ask for with <c>isolation:</c>.</summary>
/// <remarks>
/// Any other name is the name of a custom <see cref="IIsolationProvider"/> registered on the engine.
/// Names are case-insensitive and stored in lower case.
/// </remarks>
public static class IsolationNames
{
    /// <summary>A git worktree on the task's own branch; the default.</summary>
    public const string Worktree = "worktree";

    /// <summary>A git worktree whose commands run inside a locked-down container.</summary>
    public const string Container = "container";
}
