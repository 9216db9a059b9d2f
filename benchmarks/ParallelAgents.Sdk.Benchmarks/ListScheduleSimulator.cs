namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// Zero-overhead, discrete-event simulations of the schedules the harness measures, so a measured makespan can be
/// split into what the scheduling policy costs and what the implementation (dispatch, timers) costs.
/// </summary>
internal static class ListScheduleSimulator
{
    /// <summary>
    /// Greedy list scheduling as the engine does it: whenever a worker is free it starts the ready task with the
    /// longest remaining path (weighted by <paramref name="weights"/>), ties by plan order.
    /// </summary>
    public static double CriticalPathFirst(RandomDag dag, IReadOnlyList<double> durations, IReadOnlyList<double> weights, int workers)
    {
        int n = dag.Count;
        int[][] dependents = dag.Dependents();
        var remaining = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double longest = 0;
            foreach (int d in dependents[i])
            {
                longest = Math.Max(longest, remaining[d]);
            }

            remaining[i] = weights[i] + longest;
        }

        var pending = new int[n];
        // Longest remaining path first, then plan order: the engine's WorkItemComparer for equal priorities.
        var ready = new PriorityQueue<int, (double, int)>();
        for (int i = 0; i < n; i++)
        {
            pending[i] = dag.Dependencies[i].Length;
            if (pending[i] == 0)
            {
                ready.Enqueue(i, (-remaining[i], i));
            }
        }

        var running = new PriorityQueue<int, double>();
        double now = 0;
        int free = workers;
        int done = 0;
        while (done < n)
        {
            while (free > 0 && ready.TryDequeue(out int task, out _))
            {
                running.Enqueue(task, now + durations[task]);
                free--;
            }

            running.TryDequeue(out int finished, out double at);
            now = at;
            free++;
            done++;
            foreach (int d in dependents[finished])
            {
                if (--pending[d] == 0)
                {
                    ready.Enqueue(d, (-remaining[d], d));
                }
            }
        }

        return now;
    }

    /// <summary>Level by level: every level greedily on the workers in plan order, and a barrier between levels.</summary>
    public static double LevelByLevel(RandomDag dag, IReadOnlyList<double> durations, int workers)
    {
        double total = 0;
        foreach (int[] level in RandomDag.LevelBuckets(dag.Dependencies))
        {
            var free = new PriorityQueue<int, double>();
            for (int w = 0; w < workers; w++)
            {
                free.Enqueue(w, 0);
            }

            double end = 0;
            foreach (int task in level)
            {
                free.TryDequeue(out int worker, out double at);
                double finish = at + durations[task];
                end = Math.Max(end, finish);
                free.Enqueue(worker, finish);
            }

            total += end;
        }

        return total;
    }
}
