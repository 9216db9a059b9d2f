using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// The engine's dispatch overhead: 10,000 no-op tasks in a random DAG, against the least a scheduler must do
/// (run the DAG level by level with <see cref="Parallel.ForEachAsync{TSource}(IEnumerable{TSource}, ParallelOptions, Func{TSource, CancellationToken, ValueTask})"/>).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortRunConfig))]
public class DispatchBenchmarks
{
    private const int TaskCount = 10_000;
    private const int Seed = 20_240_601;

    private RandomDag _dag = null!;
    private AgentEngine _engine = null!;

    /// <summary>Workers: the engine's MaxParallelAgents and the baseline's MaxDegreeOfParallelism.</summary>
    [ParamsSource(nameof(WorkerCounts))]
    public int Workers { get; set; }

    public static IEnumerable<int> WorkerCounts() => new[] { 4, Environment.ProcessorCount }.Distinct().Order();

    [GlobalSetup]
    public void Setup()
    {
        _dag = RandomDag.Create(TaskCount, Seed);
        // One engine for all iterations: an engine runs any number of plans one after another.
        _engine = new ParallelAgentsBuilder()
            .UseAgent(static (_, _) => ValueTask.FromResult(AgentOutcome.Success()))
            .WithMaxParallelAgents(Workers)
            .Build();
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// 3 warm-up and 10 measured iterations: about a minute on 2 cores. The job is a default job, so one given on the
    /// command line (<c>--job short</c>) replaces it instead of running beside it, as a [SimpleJob] would.
    /// </summary>
    private sealed class ShortRunConfig : ManualConfig
    {
        public ShortRunConfig() => AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).AsDefault());
    }

    [Benchmark(Baseline = true, Description = "Parallel.ForEachAsync by level")]
    public async Task<int> LevelByLevel()
    {
        // The levels are part of the work: the engine, too, derives its ready sets during the run.
        int[][] levels = RandomDag.LevelBuckets(_dag.Dependencies);
        var options = new ParallelOptions { MaxDegreeOfParallelism = Workers };
        foreach (int[] level in levels)
        {
            await Parallel.ForEachAsync(level, options, static (_, _) => ValueTask.CompletedTask);
        }

        return levels.Length;
    }

    [Benchmark(Description = "AgentEngine.RunAsync")]
    public async Task<int> Engine()
    {
        RunResult result = await _engine.RunAsync(_dag.Plan);
        return result.Succeeded ? result.Tasks.Count : throw new InvalidOperationException($"The run did not succeed: {result}");
    }
}
