using System.Diagnostics;
using System.Globalization;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// Makespan of a DAG of agents with simulated latency, against the lower bound max(critical path, total work / workers).
/// Not a BenchmarkDotNet benchmark: one run takes about a second of wall-clock time and the figure of merit is a ratio.
/// </summary>
internal static class MakespanHarness
{
    private const double Target = 1.05;

    public static async Task<int> RunAsync(string[] args)
    {
        int runs = Option(args, "--runs", 5);
        int taskCount = Option(args, "--tasks", 1_000);
        int workers = Option(args, "--workers", 32);
        int seed = Option(args, "--seed", 42);
        int calibrationCount = Option(args, "--calibration", 150);
        int window = Option(args, "--window", 200);

        var dag = RandomDag.Create(taskCount, seed, window, minLatencyMs: 5, maxLatencyMs: 50);
        double[] nominal = dag.LatencyMs;
        Bounds nominalBounds = Bounds.Of(dag, nominal, workers);
        RandomDag.Levels(dag.Dependencies, out int levelCount);
        Print($"DAG: {taskCount} tasks, seed {seed}, dependencies within {window} tasks back, {levelCount} levels, {dag.Dependencies.Sum(d => d.Length)} edges, latency 5-50 ms, {workers} workers");
        Print($"nominal: critical path {nominalBounds.CriticalPath:F1} ms, total work {nominalBounds.Work:F1} ms, work/{workers} {nominalBounds.Work / workers:F1} ms"
            + $" -> lower bound {nominalBounds.Lower:F1} ms ({nominalBounds.Dominant})");
        Print($"zero-overhead simulation on nominal latencies: critical-path-first {ListScheduleSimulator.CriticalPathFirst(dag, nominal, nominal, workers) / nominalBounds.Lower:F3} x bound,"
            + $" level-by-level {ListScheduleSimulator.LevelByLevel(dag, nominal, workers) / nominalBounds.Lower:F3} x bound");

        Overshoot overshoot = await CalibrateAsync(nominal, calibrationCount);
        Print($"Task.Delay overshoot, {overshoot.Count} delays awaited one after another: mean {overshoot.MeanMs:F2} ms, median {overshoot.MedianMs:F2} ms,"
            + $" p95 {overshoot.P95Ms:F2} ms, max {overshoot.MaxMs:F2} ms; {overshoot.Relative:P1} of the nominal latency");
        // The median: one stalled delay (a GC, a page fault) would move the mean by milliseconds.
        Bounds corrected = Bounds.Of(dag, [.. nominal.Select(l => l + overshoot.MedianMs)], workers);
        Print($"nominal lower bound with each latency lengthened by the median overshoot: {corrected.Lower:F1} ms ({corrected.Lower / nominalBounds.Lower:F3} x the nominal bound)");
        Print(string.Empty);

        var samples = new Sample[nominal.Length];
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(async (context, cancellationToken) =>
            {
                int index = RandomDag.IndexOf(context.Task.Id);
                long started = Stopwatch.GetTimestamp();
                await Task.Delay(TimeSpan.FromMilliseconds(nominal[index]), cancellationToken);
                samples[index] = new Sample(started, Stopwatch.GetTimestamp());
                return AgentOutcome.Success();
            })
            .WithMaxParallelAgents(workers)
            .Build();

        async Task<double> RunEngineAsync()
        {
            long start = Stopwatch.GetTimestamp();
            RunResult result = await engine.RunAsync(dag.Plan);
            double makespan = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return result.Succeeded ? makespan : throw new InvalidOperationException($"The run did not succeed: {result}");
        }

        async Task<double> RunLevelsAsync()
        {
            long start = Stopwatch.GetTimestamp();
            var options = new ParallelOptions { MaxDegreeOfParallelism = workers };
            foreach (int[] level in RandomDag.LevelBuckets(dag.Dependencies))
            {
                await Parallel.ForEachAsync(level, options, async (index, cancellationToken) =>
                {
                    long started = Stopwatch.GetTimestamp();
                    await Task.Delay(TimeSpan.FromMilliseconds(nominal[index]), cancellationToken);
                    samples[index] = new Sample(started, Stopwatch.GetTimestamp());
                });
            }

            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        // One unmeasured run of each warms up the JIT, the thread pool and the timer queue.
        await RunEngineAsync();
        await RunLevelsAsync();

        var engineRows = new List<Row>();
        var levelRows = new List<Row>();
        Print("run  scheduler        makespan ms  /bound  /actual-bound  /ideal-schedule  overshoot ms  busy");
        for (int run = 1; run <= runs; run++)
        {
            // Alternating keeps slow drift of the machine from favouring either.
            Row engineRow = Measure(dag, nominal, samples, workers, await RunEngineAsync(), nominalBounds, critical: true);
            engineRows.Add(engineRow);
            PrintRow(run, "engine", engineRow);
            Row levelRow = Measure(dag, nominal, samples, workers, await RunLevelsAsync(), nominalBounds, critical: false);
            levelRows.Add(levelRow);
            PrintRow(run, "level-by-level", levelRow);
        }

        Print(string.Empty);
        Print("medians            makespan ms  /bound  /actual-bound  /ideal-schedule");
        PrintMedian("engine", engineRows);
        PrintMedian("level-by-level", levelRows);
        Print(string.Empty);
        Print($"the bound of the measured durations is {Median(engineRows.Select(r => r.TimerShare)):F3} x the nominal bound in the engine's runs:"
            + " that much of /bound is the timer's overshoot, which no scheduler can win back.");
        double engineMedian = Median(engineRows.Select(r => r.Ratio));
        double engineActual = Median(engineRows.Select(r => r.ActualRatio));
        Print($"target: engine makespan / lower bound <= {Target:F2}: {(engineMedian <= Target ? "met" : "missed")} on nominal latencies ({engineMedian:F3}),"
            + $" {(engineActual <= Target ? "met" : "missed")} on measured durations ({engineActual:F3})");
        Print("/bound: against max(critical path, work / workers) of the nominal latencies; /actual-bound: the same bound of the durations");
        Print("the agents actually took (Task.Delay overshoot included); /ideal-schedule: against a zero-overhead simulation of the same");
        Print("policy (critical-path-first for the engine, level-by-level for the baseline) on those durations, i.e. the implementation's own cost;");
        Print("overshoot: mean measured duration minus nominal latency in the run; busy: agent time / (makespan x workers).");
        return 0;
    }

    private static Row Measure(RandomDag dag, double[] nominal, Sample[] samples, int workers, double makespan, Bounds nominalBounds, bool critical)
    {
        double[] actual = [.. samples.Select(s => Stopwatch.GetElapsedTime(s.Started, s.Ended).TotalMilliseconds)];
        Bounds actualBounds = Bounds.Of(dag, actual, workers);
        double ideal = critical
            ? ListScheduleSimulator.CriticalPathFirst(dag, actual, nominal, workers)
            : ListScheduleSimulator.LevelByLevel(dag, actual, workers);

        // How much longer than asked the agents' Task.Delay took while the run kept the thread pool busy.
        double overshoot = 0;
        for (int i = 0; i < dag.Count; i++)
        {
            overshoot += actual[i] - nominal[i];
        }

        Array.Clear(samples);
        return new Row(makespan, makespan / nominalBounds.Lower, makespan / actualBounds.Lower, makespan / ideal, overshoot / dag.Count,
            actual.Sum() / (makespan * workers), actualBounds.Lower / nominalBounds.Lower);
    }

    private static async Task<Overshoot> CalibrateAsync(double[] nominal, int count)
    {
        // A few unmeasured delays take the timer's first-use cost out of the figures.
        for (int i = 0; i < 10; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(nominal[i]));
        }

        var over = new double[Math.Min(count, nominal.Length)];
        double nominalSum = 0;
        for (int i = 0; i < over.Length; i++)
        {
            long started = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromMilliseconds(nominal[i]));
            over[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds - nominal[i];
            nominalSum += nominal[i];
        }

        Array.Sort(over);
        return new Overshoot(over.Length, over.Average(), Median(over), over[(int)Math.Min(over.Length - 1, Math.Ceiling(0.95 * over.Length) - 1)],
            over[^1], over.Sum() / nominalSum);
    }

    private static void PrintRow(int run, string name, Row row) =>
        Print($"{run,3}  {name,-15}  {row.Makespan,11:F1}  {row.Ratio,6:F3}  {row.ActualRatio,13:F3}  {row.IdealRatio,15:F3}  {row.MeanOvershoot,13:F2}  {row.Busy,4:P0}");

    private static void PrintMedian(string name, List<Row> rows) =>
        Print($"     {name,-15}  {Median(rows.Select(r => r.Makespan)),11:F1}  {Median(rows.Select(r => r.Ratio)),6:F3}"
            + $"  {Median(rows.Select(r => r.ActualRatio)),13:F3}  {Median(rows.Select(r => r.IdealRatio)),15:F3}");

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static void Print(string line) => Console.WriteLine(line);

    private readonly record struct Sample(long Started, long Ended);

    private readonly record struct Row(double Makespan, double Ratio, double ActualRatio, double IdealRatio, double MeanOvershoot, double Busy, double TimerShare);

    private readonly record struct Overshoot(int Count, double MeanMs, double MedianMs, double P95Ms, double MaxMs, double Relative);

    private readonly record struct Bounds(double CriticalPath, double Work, int Workers)
    {
        public double Lower => Math.Max(CriticalPath, Work / Workers);

        public string Dominant => CriticalPath >= Work / Workers ? "critical path dominates" : "work/workers dominates";

        public static Bounds Of(RandomDag dag, double[] durations, int workers) => new(dag.CriticalPath(durations), durations.Sum(), workers);
    }
}
