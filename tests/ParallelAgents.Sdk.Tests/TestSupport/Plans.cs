namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>Short ways to make tasks and plans in tests.</summary>
internal static class Plans
{
    public static AgentTask Work(string id, params string[] dependencies) =>
        new() { Id = id, Instructions = $"do {id}", Dependencies = dependencies };

    public static TaskPlan Of(params AgentTask[] tasks) => TaskPlan.Create(tasks);

    /// <summary>A random DAG: each task depends on up to three of the <paramref name="window"/> tasks before it.</summary>
    public static TaskPlan RandomDag(int count, int seed, int window = 20, int maxDependencies = 3)
    {
        var random = new Random(seed);
        var tasks = new List<AgentTask>(count);
        for (int i = 0; i < count; i++)
        {
            var dependencies = new HashSet<string>();
            int wanted = i == 0 ? 0 : random.Next(0, maxDependencies + 1);
            for (int d = 0; d < wanted; d++)
            {
                dependencies.Add($"t{random.Next(Math.Max(0, i - window), i)}");
            }

            tasks.Add(new AgentTask { Id = $"t{i}", Instructions = "noop", Dependencies = [.. dependencies] });
        }

        return TaskPlan.Create(tasks);
    }
}
