namespace ParallelAgents.Sdk;

/// <summary>What an <see cref="AgentContext"/> made by the engine reads from its run when the agent first asks: the
/// results of its dependencies and where its progress reports go.</summary>
internal interface IAttemptSource
{
    /// <summary>The results of the task's dependencies, all succeeded.</summary>
    IReadOnlyList<TaskResult> DependenciesOf(int taskIndex);

    /// <summary>Where the attempt's progress reports go.</summary>
    IProgress<AgentProgress> ProgressOf(AgentTask task, int attempt, int lane);
}
