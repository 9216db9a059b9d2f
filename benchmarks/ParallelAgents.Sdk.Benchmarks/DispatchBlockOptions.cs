using System.Globalization;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>The options of the harnesses that measure the dispatch DAG in blocks: <c>--rounds N</c>, <c>--runs N</c>
/// (runs per block) and <c>--workers N</c>, which may be given more than once.</summary>
/// <param name="Rounds">How many rounds of blocks.</param>
/// <param name="RunsPerBlock">How many runs each block times.</param>
/// <param name="WorkerCounts">The worker counts to measure, one after another.</param>
internal sealed record DispatchBlockOptions(int Rounds, int RunsPerBlock, IReadOnlyList<int> WorkerCounts)
{
    /// <summary>Reads <paramref name="args"/>, or says on standard error what is wrong with them.</summary>
    /// <returns>The options, or <see langword="null"/> when an option is unknown or lacks a positive whole number.</returns>
    public static DispatchBlockOptions? Parse(string[] args, int defaultRounds, params int[] defaultWorkers)
    {
        int rounds = defaultRounds;
        int runsPerBlock = 5;
        var workerCounts = new List<int>();
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < 1)
            {
                Console.Error.WriteLine($"option '{args[i]}' needs a positive whole number after it");
                return null;
            }

            switch (args[i])
            {
                case "--rounds":
                    rounds = value;
                    break;
                case "--runs":
                    runsPerBlock = value;
                    break;
                case "--workers":
                    workerCounts.Add(value);
                    break;
                default:
                    Console.Error.WriteLine($"unknown option '{args[i]}'");
                    return null;
            }
        }

        return new DispatchBlockOptions(rounds, runsPerBlock, workerCounts.Count > 0 ? workerCounts : [.. defaultWorkers.Distinct().Order()]);
    }

    /// <summary>Runs a block harness: reads <paramref name="args"/>, makes the 10,000-task dispatch DAG, prints what is
    /// measured and the load, and calls <paramref name="measure"/> for each worker count.</summary>
    /// <returns>The process's exit code: 2 when the options are wrong.</returns>
    public static async Task<int> RunAsync(
        string[] args, int defaultRounds, int[] defaultWorkers, Func<RandomDag, int, DispatchBlockOptions, Task> measure)
    {
        if (Parse(args, defaultRounds, defaultWorkers) is not { } options)
        {
            return 2;
        }

        var dag = RandomDag.Create(DispatchTaskCount, DispatchSeed);
        RandomDag.Levels(dag.Dependencies, out int levelCount);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{DispatchTaskCount:N0} no-op tasks, {levelCount} levels, {Environment.ProcessorCount} processors; {options.Rounds} rounds of {options.RunsPerBlock} runs a side; load average {DispatchPairedHarness.LoadAverage()}"));
        foreach (int workers in options.WorkerCounts)
        {
            await measure(dag, workers, options).ConfigureAwait(false);
        }

        Console.WriteLine($"load average at the end {DispatchPairedHarness.LoadAverage()}");
        return 0;
    }

    /// <summary>How many tasks the dispatch DAG has, here and in <see cref="DispatchBenchmarks"/>.</summary>
    public const int DispatchTaskCount = 10_000;

    /// <summary>The seed the dispatch DAG is drawn from, here and in <see cref="DispatchBenchmarks"/>.</summary>
    public const int DispatchSeed = 20_240_601;
}
