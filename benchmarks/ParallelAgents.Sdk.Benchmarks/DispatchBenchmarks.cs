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
    private const int TaskCount = DispatchBlockOptions.DispatchTaskCount;
    private const int Seed = DispatchBlockOptions.DispatchSeed;

    // Typed as the interface on purpose: the engine calls agents through IAgent, so the baseline must too.
#pragma warning disable CA1859
    private static readonly IAgent NoopAgent = new DelegateAgent(static (_, _) => ValueTask.FromResult(AgentOutcome.Success()));
#pragma warning restore CA1859

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
            .UseAgent(NoopAgent)
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

    /// <summary>
    /// The same level-by-level schedule doing the per-task work any agent scheduler owes its caller, as the engine
    /// does: call the <see cref="IAgent"/> with an <see cref="AgentContext"/> (its dependencies' results included) and
    /// keep a <see cref="TaskResult"/> with the attempt and its timings for the run's result. Events, retries, timeouts
    /// and priorities are left out, so this is still the cheaper side.
    /// </summary>
    [Benchmark(Description = "Parallel.ForEachAsync by level, same per-task work")]
    public async Task<int> LevelByLevelSameWork()
    {
        int[][] levels = RandomDag.LevelBuckets(_dag.Dependencies);
        var options = new ParallelOptions { MaxDegreeOfParallelism = Workers };
        IReadOnlyList<AgentTask> tasks = _dag.Plan.Tasks;
        var results = new TaskResult[tasks.Count];
        TimeProvider time = TimeProvider.System;
        foreach (int[] level in levels)
        {
            await Parallel.ForEachAsync(level, options, async (index, cancellationToken) =>
            {
                int[] dependencies = _dag.Dependencies[index];
                var dependencyResults = new TaskResult[dependencies.Length];
                for (int d = 0; d < dependencies.Length; d++)
                {
                    dependencyResults[d] = results[dependencies[d]];
                }

                DateTimeOffset startedAt = time.GetUtcNow();
                long started = time.GetTimestamp();
                var context = new AgentContext { RunId = "baseline", Task = tasks[index], Dependencies = dependencyResults };
                AgentOutcome outcome = await NoopAgent.RunAsync(context, cancellationToken);
                TimeSpan duration = time.GetElapsedTime(started);
                results[index] = new TaskResult
                {
                    TaskId = tasks[index].Id,
                    State = outcome.Succeeded ? TaskState.Succeeded : TaskState.Failed,
                    Attempts = [new AttemptResult { Attempt = 1, Status = AttemptStatus.Succeeded, StartedAt = startedAt, Duration = duration }],
                    StartedAt = startedAt,
                    CompletedAt = time.GetUtcNow(),
                    Duration = duration,
                    Summary = outcome.Summary,
                };
            });
        }

        return results.Length;
    }

    [Benchmark(Description = "AgentEngine.RunAsync")]
    public async Task<int> Engine()
    {
        RunResult result = await _engine.RunAsync(_dag.Plan);
        return result.Succeeded ? result.Tasks.Count : throw new InvalidOperationException($"The run did not succeed: {result}");
    }
}
