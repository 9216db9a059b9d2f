using System.Globalization;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// A seeded random DAG in which every task depends on 0 to 3 tasks chosen from a window of the tasks just before it,
/// so the graph has real depth (a window over the whole prefix would make it shallow and wide).
/// </summary>
internal sealed class RandomDag
{
    private RandomDag(int[][] dependencies, double[] latencyMs, TaskPlan plan)
    {
        Dependencies = dependencies;
        LatencyMs = latencyMs;
        Plan = plan;
    }

    /// <summary>For each task, the indices of the tasks it depends on (always earlier tasks).</summary>
    public int[][] Dependencies { get; }

    /// <summary>For each task, its simulated latency in milliseconds (zero for no-op DAGs).</summary>
    public double[] LatencyMs { get; }

    public TaskPlan Plan { get; }

    public int Count => Dependencies.Length;

    /// <param name="count">How many tasks.</param>
    /// <param name="seed">The seed of the one <see cref="Random"/> that draws everything.</param>
    /// <param name="window">Dependencies are drawn from the <paramref name="window"/> tasks before each task.</param>
    /// <param name="minLatencyMs">The shortest simulated latency; with <paramref name="maxLatencyMs"/> zero, tasks carry no
    /// estimate and weigh the scheduler's default.</param>
    /// <param name="maxLatencyMs">The longest simulated latency, inclusive.</param>
    public static RandomDag Create(int count, int seed, int window = 200, int minLatencyMs = 0, int maxLatencyMs = 0)
    {
        var random = new Random(seed);
        var dependencies = new int[count][];
        var latency = new double[count];
        var tasks = new AgentTask[count];
        var chosen = new List<int>(3);
        for (int i = 0; i < count; i++)
        {
            chosen.Clear();
            int lowest = Math.Max(0, i - window);
            int wanted = Math.Min(random.Next(0, 4), i - lowest);
            while (chosen.Count < wanted)
            {
                int candidate = random.Next(lowest, i);
                if (!chosen.Contains(candidate))
                {
                    chosen.Add(candidate);
                }
            }

            dependencies[i] = [.. chosen];
            latency[i] = maxLatencyMs > 0 ? random.Next(minLatencyMs, maxLatencyMs + 1) : 0;
            tasks[i] = new AgentTask
            {
                Id = Id(i),
                Instructions = "simulated",
                Dependencies = [.. chosen.Select(Id)],
                // The scheduler weighs the critical path with the estimate; the simulated latency is the honest one.
                EstimatedHours = maxLatencyMs > 0 ? latency[i] / 1000.0 : null,
            };
        }

        return new RandomDag(dependencies, latency, TaskPlan.Create(tasks));
    }

    public static string Id(int index) => "t" + index.ToString("D5", CultureInfo.InvariantCulture);

    public static int IndexOf(string id) => int.Parse(id.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>For each task, the indices of the tasks that depend on it, in plan order.</summary>
    public int[][] Dependents()
    {
        var counts = new int[Count];
        foreach (int[] dependencies in Dependencies)
        {
            foreach (int dependency in dependencies)
            {
                counts[dependency]++;
            }
        }

        var dependents = new int[Count][];
        for (int i = 0; i < Count; i++)
        {
            dependents[i] = new int[counts[i]];
            counts[i] = 0;
        }

        for (int i = 0; i < Count; i++)
        {
            foreach (int dependency in Dependencies[i])
            {
                dependents[dependency][counts[dependency]++] = i;
            }
        }

        return dependents;
    }

    /// <summary>The level of each task: 0 without dependencies, else one more than its deepest dependency.</summary>
    public static int[] Levels(int[][] dependencies, out int levelCount)
    {
        var level = new int[dependencies.Length];
        levelCount = 0;
        // Dependencies always point to earlier indices, so plan order is a topological order.
        for (int i = 0; i < dependencies.Length; i++)
        {
            int deepest = -1;
            foreach (int d in dependencies[i])
            {
                deepest = Math.Max(deepest, level[d]);
            }

            level[i] = deepest + 1;
            levelCount = Math.Max(levelCount, level[i] + 1);
        }

        return level;
    }

    /// <summary>Groups the tasks by level, each group in plan order.</summary>
    public static int[][] LevelBuckets(int[][] dependencies)
    {
        int[] level = Levels(dependencies, out int levelCount);
        var sizes = new int[levelCount];
        foreach (int l in level)
        {
            sizes[l]++;
        }

        var buckets = new int[levelCount][];
        for (int l = 0; l < levelCount; l++)
        {
            buckets[l] = new int[sizes[l]];
            sizes[l] = 0;
        }

        for (int i = 0; i < level.Length; i++)
        {
            buckets[level[i]][sizes[level[i]]++] = i;
        }

        return buckets;
    }

    /// <summary>The longest chain of <paramref name="durations"/> through the DAG.</summary>
    public double CriticalPath(IReadOnlyList<double> durations)
    {
        var finish = new double[Count];
        double longest = 0;
        for (int i = 0; i < Count; i++)
        {
            double ready = 0;
            foreach (int d in Dependencies[i])
            {
                ready = Math.Max(ready, finish[d]);
            }

            finish[i] = ready + durations[i];
            longest = Math.Max(longest, finish[i]);
        }

        return longest;
    }
}
