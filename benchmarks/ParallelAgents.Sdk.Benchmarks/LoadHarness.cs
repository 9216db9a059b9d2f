using System.Diagnostics;
using System.Globalization;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// The engine under load: the memory it holds per agent running at once, and the CPU time it spends per task.
/// </summary>
/// <remarks>
/// <para>Memory: N independent tasks, N agents allowed at once, each agent parked on one shared gate. Once all N
/// are parked, a full collection measures what is retained beside what was retained before the run; the same is
/// measured for N bare async methods parked on the same gate (what any agent costs, whoever runs it), and the
/// engine's share is the difference, divided by N. Transcripts, workspaces and the caller's plan are not part of
/// it (the plan is made before the first reading).</para>
/// <para>CPU: the process's CPU time (all threads) over a run of 1,000 tasks in a random DAG, per task, for agents
/// that yield once (the least asynchronous work) and for agents that complete synchronously, beside the level-by-level
/// <c>Parallel.ForEachAsync</c> baseline running the same agents in the same process.</para>
/// </remarks>
internal static class LoadHarness
{
    private const int Seed = 20_240_601;

    public static async Task<int> RunAsync(string[] args)
    {
        int runs = 15;
        int tasks = 1_000;
        int workers = 4;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--runs":
                    runs = value;
                    break;
                case "--tasks":
                    tasks = value;
                    break;
                case "--workers":
                    workers = value;
                    break;
                default:
                    Console.Error.WriteLine($"unknown option '{args[i]}'");
                    return 2;
            }
        }

        Console.WriteLine($"load average {DispatchPairedHarness.LoadAverage()}");
        foreach (int agents in new[] { 100, 1_000 })
        {
            await MeasureMemoryAsync(agents).ConfigureAwait(false);
        }

        await MeasureCpuAsync(tasks, workers, runs, yields: true).ConfigureAwait(false);
        await MeasureCpuAsync(tasks, workers, runs, yields: false).ConfigureAwait(false);
        Console.WriteLine($"load average at the end {DispatchPairedHarness.LoadAverage()}");
        return 0;
    }

    private static async Task MeasureMemoryAsync(int agents)
    {
        TaskPlan plan = TaskPlan.Create([.. Enumerable.Range(0, agents).Select(i => new AgentTask { Id = RandomDag.Id(i), Instructions = "park" })]);
        long bare = 0, engine = 0, engineAllocated = 0;
        const int Rounds = 3;

        // The first round warms up (JIT, thread pool threads, the engine's first run); the next are measured.
        for (int round = -1; round < Rounds; round++)
        {
            long retained = await ParkedAsync(agents).ConfigureAwait(false);

            (long retainedByEngine, long allocated) = await ParkedWithEngineAsync(agents, plan).ConfigureAwait(false);
            if (round >= 0)
            {
                bare += retained;
                engine += retainedByEngine;
                engineAllocated += allocated;
            }
        }

        bare /= Rounds;
        engine /= Rounds;
        engineAllocated /= Rounds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"memory, {agents,5:N0} agents parked at once: engine run retains {engine / (double)agents,8:N0} B per agent, bare async agent " +
            $"{bare / (double)agents,6:N0} B, engine's own {(engine - bare) / (double)agents,8:N0} B per agent (target at most 65,536); " +
            $"allocated by the run until all parked {engineAllocated / (double)agents:N0} B per agent"));
    }

    /// <summary>What <paramref name="agents"/> bare async methods parked on a gate retain.</summary>
    private static async Task<long> ParkedAsync(int agents)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var parked = new CountdownEvent(agents);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var waits = new Task[agents];
        for (int i = 0; i < agents; i++)
        {
            waits[i] = ParkAsync(gate.Task, parked);
        }

        parked.Wait();
        long retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        gate.SetResult();
        await Task.WhenAll(waits).ConfigureAwait(false);
        return retained;
    }

    private static async Task<(long Retained, long Allocated)> ParkedWithEngineAsync(int agents, TaskPlan plan)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var parked = new CountdownEvent(agents);
        var state = new GateState(gate.Task, parked);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(new DelegateAgent(async (_, _) =>
            {
                await ParkAsync(state.Gate, state.Parked).ConfigureAwait(false);
                return AgentOutcome.Success();
            }))
            .WithMaxParallelAgents(agents)
            .Build();

        long before = GC.GetTotalMemory(forceFullCollection: true);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        Task<RunResult> run = engine.RunAsync(plan);
        parked.Wait();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        gate.SetResult();
        RunResult result = await run.ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"The run did not succeed: {result}");
        }

        return (retained, allocated);
    }

    private static async Task ParkAsync(Task gate, CountdownEvent parked)
    {
        parked.Signal();
        await gate.ConfigureAwait(false);
    }

    private static async Task MeasureCpuAsync(int tasks, int workers, int runs, bool yields)
    {
        var dag = RandomDag.Create(tasks, Seed);
        IAgent agent = yields
            ? new DelegateAgent(static async (_, _) =>
            {
                await Task.Yield();
                return AgentOutcome.Success();
            })
            : new DelegateAgent(static (_, _) => ValueTask.FromResult(AgentOutcome.Success()));
        await using AgentEngine engine = new ParallelAgentsBuilder().UseAgent(agent).WithMaxParallelAgents(workers).Build();
        using var process = Process.GetCurrentProcess();
        var engineCpu = new List<double>();
        var baselineCpu = new List<double>();
        for (int run = -5; run < runs; run++)
        {
            for (int side = 0; side < 2; side++)
            {
                bool engineSide = (side + run) % 2 != 0;
                process.Refresh();
                TimeSpan before = process.TotalProcessorTime;
                if (engineSide)
                {
                    RunResult result = await engine.RunAsync(dag.Plan).ConfigureAwait(false);
                    if (!result.Succeeded)
                    {
                        throw new InvalidOperationException($"The run did not succeed: {result}");
                    }
                }
                else
                {
                    await LevelByLevelAsync(dag, agent, workers).ConfigureAwait(false);
                }

                process.Refresh();
                double perTaskUs = (process.TotalProcessorTime - before).TotalMicroseconds / tasks;
                if (run >= 0)
                {
                    (engineSide ? engineCpu : baselineCpu).Add(perTaskUs);
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CPU per task, {tasks:N0} tasks, {workers} agents at once, agents that {(yields ? "yield once" : "complete synchronously")}: " +
            $"engine median {Median(engineCpu):F2} us, Parallel.ForEachAsync by level median {Median(baselineCpu):F2} us ({runs} runs each)"));
    }

    /// <summary>The same agents, called with a context, level by level: the least a scheduler calling agents does.</summary>
    private static async Task LevelByLevelAsync(RandomDag dag, IAgent agent, int workers)
    {
        int[][] levels = RandomDag.LevelBuckets(dag.Dependencies);
        var options = new ParallelOptions { MaxDegreeOfParallelism = workers };
        IReadOnlyList<AgentTask> tasks = dag.Plan.Tasks;
        foreach (int[] level in levels)
        {
            await Parallel.ForEachAsync(level, options, async (index, cancellationToken) =>
            {
                AgentOutcome outcome = await agent.RunAsync(new AgentContext { RunId = "baseline", Task = tasks[index] }, cancellationToken).ConfigureAwait(false);
                if (!outcome.Succeeded)
                {
                    throw new InvalidOperationException("a no-op agent failed");
                }
            }).ConfigureAwait(false);
        }
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed record GateState(Task Gate, CountdownEvent Parked);
}
