using System.Diagnostics;
using System.Globalization;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// The dispatch ratio of <see cref="DispatchBenchmarks"/> measured in pairs: each round times a block of runs of the
/// bare level-by-level <c>Parallel.ForEachAsync</c> baseline and a block of engine runs of the same 10,000-task DAG
/// back to back (alternating which goes first), and the figure is the median of the rounds' ratios. On a machine whose
/// load swings from second to second this is steadier than BenchmarkDotNet's separate blocks; run both.
/// </summary>
internal static class DispatchPairedHarness
{
    private const int TaskCount = DispatchBlockOptions.DispatchTaskCount;

    public static Task<int> RunAsync(string[] args) =>
        DispatchBlockOptions.RunAsync(args, defaultRounds: 30, [4, Environment.ProcessorCount], (dag, workers, options) => MeasureAsync(dag, workers, options.Rounds, options.RunsPerBlock));

    private static async Task MeasureAsync(RandomDag dag, int workers, int rounds, int runsPerBlock)
    {
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(new DelegateAgent(static (_, _) => ValueTask.FromResult(AgentOutcome.Success())))
            .WithMaxParallelAgents(workers)
            .Build();
        var baseline = new List<double>();
        var measured = new List<double>();
        var baselineCpu = new List<double>();
        var measuredCpu = new List<double>();
        using var process = Process.GetCurrentProcess();
        long baselineBytes = 0, engineBytes = 0;
        TimeSpan baselinePause = TimeSpan.Zero, enginePause = TimeSpan.Zero;
        int baselineGen1 = 0, engineGen1 = 0;
        // Warm-up: tiered compilation moves the hot methods to optimized code only after they ran a while, and on a
        // loaded machine its background thread is slow to get there; both sides run 100 times and for at least two
        // seconds first.
        var warmUp = Stopwatch.StartNew();
        for (int run = 0; run < 100 || warmUp.Elapsed < TimeSpan.FromSeconds(2); run++)
        {
            await engine.RunAsync(dag.Plan).ConfigureAwait(false);
            await LevelByLevelAsync(dag, workers).ConfigureAwait(false);
        }

        for (int round = -1; round < rounds; round++)
        {
            double baselineUs = 0, engineUs = 0, baselineCpuUs = 0, engineCpuUs = 0;
            for (int side = 0; side < 2; side++)
            {
                long allocated = GC.GetTotalAllocatedBytes(precise: true);
                TimeSpan paused = GC.GetTotalPauseDuration();
                int gen1 = GC.CollectionCount(1);
                process.Refresh();
                TimeSpan cpu = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                bool engineSide = (side + round) % 2 != 0;
                for (int run = 0; run < runsPerBlock; run++)
                {
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
                        await LevelByLevelAsync(dag, workers).ConfigureAwait(false);
                    }
                }

                double us = clock.Elapsed.TotalMicroseconds / runsPerBlock;
                process.Refresh();
                double cpuUs = (process.TotalProcessorTime - cpu).TotalMicroseconds / runsPerBlock;
                long bytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / runsPerBlock;
                TimeSpan pause = GC.GetTotalPauseDuration() - paused;
                int gen1s = GC.CollectionCount(1) - gen1;
                if (engineSide)
                {
                    engineUs = us;
                    engineCpuUs = cpuUs;
                    engineBytes = round >= 0 ? engineBytes + bytes : engineBytes;
                    enginePause = round >= 0 ? enginePause + pause : enginePause;
                    engineGen1 = round >= 0 ? engineGen1 + gen1s : engineGen1;
                }
                else
                {
                    baselineUs = us;
                    baselineCpuUs = cpuUs;
                    baselineBytes = round >= 0 ? baselineBytes + bytes : baselineBytes;
                    baselinePause = round >= 0 ? baselinePause + pause : baselinePause;
                    baselineGen1 = round >= 0 ? baselineGen1 + gen1s : baselineGen1;
                }
            }

            // The first rounds warm up the JIT (tiered compilation included) and the thread pool.
            if (round >= 0)
            {
                baseline.Add(baselineUs);
                measured.Add(engineUs);
                baselineCpu.Add(baselineCpuUs);
                measuredCpu.Add(engineCpuUs);
            }
        }

        double[] ratios = [.. measured.Zip(baseline, (e, b) => e / b).Order()];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"workers {workers}: baseline median {Median(baseline):F0} us ({Median(baseline) * 1000 / TaskCount:F0} ns/task, {baselineBytes / rounds / 1024.0:F0} KB/run), " +
            $"engine median {Median(measured):F0} us ({Median(measured) * 1000 / TaskCount:F0} ns/task, {engineBytes / rounds / 1024.0:F0} KB/run)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"workers {workers}: ratio engine / baseline median {Median(ratios):F3} (rounds from {ratios[0]:F3} to {ratios[^1]:F3}); target below 1.0"));
        // CPU time is the process's, all threads: on a loaded machine it moves less than wall-clock time.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"workers {workers}: CPU time per run, baseline median {Median(baselineCpu):F0} us, engine median {Median(measuredCpu):F0} us"));
        int runs = rounds * runsPerBlock;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"workers {workers}: GC pause per run, baseline {baselinePause.TotalMicroseconds / runs:F0} us ({baselineGen1} gen1 GCs in {runs} runs), engine {enginePause.TotalMicroseconds / runs:F0} us ({engineGen1} gen1 GCs)"));
    }

    /// <summary>The same baseline as <see cref="DispatchBenchmarks.LevelByLevel"/>.</summary>
    internal static async Task LevelByLevelAsync(RandomDag dag, int workers)
    {
        int[][] levels = RandomDag.LevelBuckets(dag.Dependencies);
        var options = new ParallelOptions { MaxDegreeOfParallelism = workers };
        foreach (int[] level in levels)
        {
            await Parallel.ForEachAsync(level, options, static (_, _) => ValueTask.CompletedTask).ConfigureAwait(false);
        }
    }

    internal static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    internal static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
