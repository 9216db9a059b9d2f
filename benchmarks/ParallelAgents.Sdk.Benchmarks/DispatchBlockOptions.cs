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
}
