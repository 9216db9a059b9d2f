using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// Write throughput of the file-backed store: concurrent writers each setting their own keys, with
/// <see cref="FlushPolicy.Batched"/> (the default; target at least 50,000 writes/s) and, for comparison,
/// <see cref="FlushPolicy.Always"/> (an fsync before every acknowledgement, shared by the writers waiting at the time).
/// </summary>
/// <remarks>
/// Run with <c>dotnet run -c Release --project benchmarks/ParallelAgents.Sdk.Benchmarks -- memory --filter *FileSharedMemory*</c>.
/// Times are per write (<see cref="BenchmarkAttribute.OperationsPerInvoke"/>); the Op/s column is writes per second.
/// Snapshots are on, at their defaults, so their cost is in the figures; the files live in a fresh temporary folder.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class FileSharedMemoryBenchmarks
{
    private const int BatchedWrites = 16_384;

    // Fewer: with Always a lone writer waits for one disk flush per write.
    private const int AlwaysWrites = 1_024;

    private static readonly JsonElement Value = JsonSerializer.SerializeToElement(new
    {
        routes = new[] { "/tasks", "/tasks/{id}", "/users" },
        framework = "express",
        notes = "found while implementing the REST API",
    });

    private string _folder = null!;
    private FileSharedMemory _batched = null!;
    private FileSharedMemory _always = null!;
    private string[][] _keys = null!;

    /// <summary>Writers at once, each awaiting its writes one after another.</summary>
    [Params(1, 8, 64)]
    public int Writers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "pa-file-memory-bench-" + Guid.NewGuid().ToString("N"));
        _batched = FileSharedMemory.Open(Path.Combine(_folder, "batched", "agent_memory.json"), new FileSharedMemoryOptions { FlushPolicy = FlushPolicy.Batched });
        _always = FileSharedMemory.Open(Path.Combine(_folder, "always", "agent_memory.json"), new FileSharedMemoryOptions { FlushPolicy = FlushPolicy.Always });

        // 64 keys per writer, rewritten in turn: a store of a few thousand entries, as a long run's discoveries and statuses.
        _keys = Enumerable.Range(0, Writers).Select(w => Enumerable.Range(0, 64).Select(k => $"discoveries/writer-{w}/{k}").ToArray()).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batched.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _always.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BatchedWrites, Description = "Set, FlushPolicy.Batched")]
    public Task Batched() => WriteAsync(_batched, BatchedWrites);

    [Benchmark(OperationsPerInvoke = AlwaysWrites, Description = "Set, FlushPolicy.Always")]
    public Task Always() => WriteAsync(_always, AlwaysWrites);

    private Task WriteAsync(FileSharedMemory memory, int writes) =>
        Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            string[] keys = _keys[w];
            for (int i = 0, n = writes / Writers; i < n; i++)
            {
                await memory.SetAsync(keys[i % keys.Length], Value, "bench").ConfigureAwait(false);
            }
        })));

    /// <summary>3 warm-up and 10 measured iterations, with writes per second printed; a job given on the command line
    /// replaces this one.</summary>
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).AsDefault());
            AddColumn(StatisticColumn.OperationsPerSecond);
        }
    }
}
