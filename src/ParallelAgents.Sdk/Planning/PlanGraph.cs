namespace ParallelAgents.Sdk;

/// <summary>The validated dependency graph of a plan, by task index, with what the scheduler needs precomputed.</summary>
internal sealed class PlanGraph
{
    private PlanGraph(int[][] dependencies, int[][] dependents, double[] remainingPath, int[] topologicalOrder, int[] rank, IReadOnlyList<AgentTask> tasks)
    {
        Rank = rank;
        DependencyCounts = [.. dependencies.Select(d => d.Length)];
        Traits = new TaskTraits[tasks.Count];
        for (int i = 0; i < tasks.Count; i++)
        {
            AgentTask task = tasks[i];
            Traits[i] = new TaskTraits(task.AgentCount, task.MaxAttempts, task.Timeout is not null);
            AnyIsolation |= task.Isolation is not null;
        }

        MultiLaneTasks = [.. Enumerable.Range(0, tasks.Count).Where(i => tasks[i].AgentCount > 1)];
        Tasks = [.. tasks];

        Dependencies = dependencies;
        Dependents = dependents;
        ReleaseStarts = new int[tasks.Count + 1];
        ReleaseList = new int[dependents.Sum(d => d.Length)];
        int at = 0;
        for (int i = 0; i < dependents.Length; i++)
        {
            ReleaseStarts[i] = at;
            foreach (int dependent in dependents[i])
            {
                ReleaseList[at++] = DependencyCounts[dependent] == 1 ? ~dependent : dependent;
            }
        }

        ReleaseStarts[tasks.Count] = at;
        RemainingPath = remainingPath;
        TopologicalOrder = topologicalOrder;
    }

    /// <summary>For each task, the indices of the tasks it depends on.</summary>
    public int[][] Dependencies { get; }

    /// <summary>For each task, the indices of the tasks that depend on it.</summary>
    public int[][] Dependents { get; }

    /// <summary>Every task's dependents, side by side in one array: task <c>i</c>'s are from <see cref="ReleaseStarts"/>[i]
    /// to <see cref="ReleaseStarts"/>[i + 1]. A dependent that depends on nothing else is stored as its index's
    /// complement (<c>~index</c>, negative): the task that releases it is the only one that ever counts it down, so it
    /// is ready without an interlocked countdown.</summary>
    /// <remarks>What a task that succeeded reads to release its dependents: one array instead of one per task (one
    /// cache miss less per task in a run of thousands).</remarks>
    public int[] ReleaseList { get; }

    /// <summary>Where each task's dependents start in <see cref="ReleaseList"/>; one more entry than tasks.</summary>
    public int[] ReleaseStarts { get; }

    /// <summary>For each task, the longest path from its start to the end of the plan, weighted by estimated hours.</summary>
    public double[] RemainingPath { get; }

    /// <summary>Every task index, each after all of its dependencies; ties keep the plan's order.</summary>
    public int[] TopologicalOrder { get; }

    /// <summary>For each task, its place in the scheduler's order among ready tasks (lower starts first): higher priority
    /// first, then the longer remaining path, then plan order. Computed once per plan so that comparing two ready
    /// attempts is one integer comparison.</summary>
    public int[] Rank { get; }

    /// <summary>For each task, how many tasks it depends on: a run copies it as its countdown of unfinished
    /// dependencies, without reading each task's list.</summary>
    public int[] DependencyCounts { get; }

    /// <summary>For each task, what the scheduler reads of it on every attempt, side by side, so that a run of
    /// thousands of tasks reads one small array instead of every task object.</summary>
    public TaskTraits[] Traits { get; }

    /// <summary>The plan's tasks in an array: read by index on every attempt, without an interface call.</summary>
    public AgentTask[] Tasks { get; }

    /// <summary>The tasks raced by several agents (<see cref="AgentTask.AgentCount"/> above 1), by index.</summary>
    public int[] MultiLaneTasks { get; }

    /// <summary>Whether any task names an isolation (<see cref="AgentTask.Isolation"/>).</summary>
    public bool AnyIsolation { get; }

    /// <summary>How a task weighs on the critical path when it has no estimate.</summary>
    public const double DefaultWeight = 1.0;

    public static PlanGraph Build(IReadOnlyList<AgentTask> tasks, int[][] dependencies)
    {
        int n = tasks.Count;
        var dependentLists = new List<int>[n];
        var remainingDependencies = new int[n];
        for (int i = 0; i < n; i++)
        {
            dependentLists[i] = [];
        }

        for (int i = 0; i < n; i++)
        {
            remainingDependencies[i] = dependencies[i].Length;
            foreach (int d in dependencies[i])
            {
                dependentLists[d].Add(i);
            }
        }

        // Kahn's algorithm; the plan is known to be acyclic. The ready set is taken lowest index first (a FIFO
        // queue would not be), so ties keep the plan's order and a plan already in dependency order is unchanged.
        var order = new int[n];
        var ready = new PriorityQueue<int, int>(n);
        for (int i = 0; i < n; i++)
        {
            if (remainingDependencies[i] == 0)
            {
                ready.Enqueue(i, i);
            }
        }

        int count = 0;
        while (ready.TryDequeue(out int node, out _))
        {
            order[count++] = node;
            foreach (int dependent in dependentLists[node])
            {
                if (--remainingDependencies[dependent] == 0)
                {
                    ready.Enqueue(dependent, dependent);
                }
            }
        }

        var remaining = new double[n];
        for (int k = n - 1; k >= 0; k--)
        {
            int node = order[k];
            double longest = 0;
            foreach (int dependent in dependentLists[node])
            {
                longest = Math.Max(longest, remaining[dependent]);
            }

            remaining[node] = (tasks[node].EstimatedHours ?? DefaultWeight) + longest;
        }

        int[] byUrgency = [.. Enumerable.Range(0, n)
            .OrderByDescending(i => tasks[i].Priority)
            .ThenByDescending(i => remaining[i])
            .ThenBy(i => i)];
        var rank = new int[n];
        for (int position = 0; position < n; position++)
        {
            rank[byUrgency[position]] = position;
        }

        return new PlanGraph(dependencies, [.. dependentLists.Select(l => l.ToArray())], remaining, order, rank, tasks);
    }
}

/// <summary>What the scheduler reads of a task on every attempt (see <see cref="PlanGraph.Traits"/>).</summary>
/// <param name="Lanes">The task's <see cref="AgentTask.AgentCount"/>.</param>
/// <param name="MaxAttempts">The task's <see cref="AgentTask.MaxAttempts"/>.</param>
/// <param name="HasTimeout">Whether the task has a <see cref="AgentTask.Timeout"/>.</param>
internal readonly record struct TaskTraits(int Lanes, int? MaxAttempts, bool HasTimeout);
