using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// <see cref="InMemorySharedMemory"/> against what one would write instead, on 64 keys with 1, 2 and 8 threads:
/// a <see cref="ConcurrentDictionary{TKey, TValue}"/> (the baseline), a <c>lock</c>-protected <see cref="Dictionary{TKey, TValue}"/>,
/// and the original demo's approach of reading and rewriting a whole JSON file on every update.
/// </summary>
/// <remarks>
/// <para>Every store keeps the same thing per key, a <see cref="MemoryEntry"/> with a version from one counter, its
/// author and a timestamp from <see cref="TimeProvider.System"/>, and a compare-and-set is "read the entry, replace it
/// if its version is still the one read, retry otherwise". What only the in-memory store does on top (key and value
/// checks, a gap-free global order, the change feed, snapshots) is part of its cost.</para>
/// <para>The threads split a fixed number of operations between them, so the mean is the time per operation of the
/// whole group (lower is better) and a ratio below 1 beats the baseline. On a 2-core machine, 8 threads measure
/// behaviour under preemption rather than more parallelism.</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ShortRunConfig))]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes of them in [GlobalCleanup].")]
public class SharedMemoryBenchmarks
{
    private const int KeyCount = 64;
    private const int Operations = 1 << 17;

    // Each rewrite of the file takes a fraction of a millisecond: fewer of them keep an invocation short.
    private const int FileOperations = 64;
    private const string Author = "backend-api";

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private static readonly JsonElement Value = JsonSerializer.SerializeToElement(
        new AgentStatusReport("started", "implementing the REST API for tasks and users"), Web);

    private readonly string[] _keys = [.. Enumerable.Range(0, KeyCount).Select(i => $"discoveries/item-{i:D3}")];
    private ThreadTeam _team = null!;
    private InMemorySharedMemory _memory = null!;
    private ConcurrentDictionary<string, MemoryEntry> _concurrent = null!;
    private LockedStore _locked = null!;
    private JsonFileStore _file = null!;

    // The baseline's version counter, on a cache line of its own: left beside the fields every operation reads
    // (_concurrent, _memory), each increment would evict them from the other threads' caches and slow the baseline
    // for a reason that has nothing to do with it. The in-memory store pads its own counters the same way.
    private PaddedCounter _sequence;

    /// <summary>How many threads share the operations.</summary>
    [Params(1, 2, 8)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _team = new ThreadTeam(Threads);
        _memory = new InMemorySharedMemory();
        _concurrent = new ConcurrentDictionary<string, MemoryEntry>(StringComparer.Ordinal);
        _locked = new LockedStore();
        _file = new JsonFileStore(Path.Combine(Path.GetTempPath(), $"shared-memory-bench-{Guid.NewGuid():N}", "agent_memory.json"));
        foreach (string key in _keys)
        {
            _memory.SetAsync(key, Value, Author).AsTask().GetAwaiter().GetResult();
            _concurrent[key] = NewEntry(key);
            _locked.Set(key, Value, Author);
            _file.Set(key, Value, Author);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _team.Dispose();
        _memory.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _file.Delete();
    }

    // ---- Get ----

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations, Description = "ConcurrentDictionary")]
    [BenchmarkCategory("Get")]
    public void GetConcurrentDictionary() => Run<GetConcurrent>(Operations);

    [Benchmark(OperationsPerInvoke = Operations, Description = "InMemorySharedMemory")]
    [BenchmarkCategory("Get")]
    public void GetInMemory() => Run<GetInMemoryStore>(Operations);

    [Benchmark(OperationsPerInvoke = Operations, Description = "lock + Dictionary")]
    [BenchmarkCategory("Get")]
    public void GetLocked() => Run<GetLockedStore>(Operations);

    [Benchmark(OperationsPerInvoke = FileOperations, Description = "rewrite JSON file")]
    [BenchmarkCategory("Get")]
    public void GetFile() => Run<GetFileStore>(FileOperations);

    // ---- Set ----

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations, Description = "ConcurrentDictionary")]
    [BenchmarkCategory("Set")]
    public void SetConcurrentDictionary() => Run<SetConcurrent>(Operations);

    [Benchmark(OperationsPerInvoke = Operations, Description = "InMemorySharedMemory")]
    [BenchmarkCategory("Set")]
    public void SetInMemory() => Run<SetInMemoryStore>(Operations);

    [Benchmark(OperationsPerInvoke = Operations, Description = "lock + Dictionary")]
    [BenchmarkCategory("Set")]
    public void SetLocked() => Run<SetLockedStore>(Operations);

    [Benchmark(OperationsPerInvoke = FileOperations, Description = "rewrite JSON file")]
    [BenchmarkCategory("Set")]
    public void SetFile() => Run<SetFileStore>(FileOperations);

    // ---- CompareAndSet: read, then replace if unchanged; retry on a lost race ----

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations, Description = "ConcurrentDictionary")]
    [BenchmarkCategory("CompareAndSet")]
    public void CompareAndSetConcurrentDictionary() => Run<CompareAndSetConcurrent>(Operations);

    [Benchmark(OperationsPerInvoke = Operations, Description = "InMemorySharedMemory")]
    [BenchmarkCategory("CompareAndSet")]
    public void CompareAndSetInMemory() => Run<CompareAndSetInMemoryStore>(Operations);

    [Benchmark(OperationsPerInvoke = Operations, Description = "lock + Dictionary")]
    [BenchmarkCategory("CompareAndSet")]
    public void CompareAndSetLocked() => Run<CompareAndSetLockedStore>(Operations);

    [Benchmark(OperationsPerInvoke = FileOperations, Description = "rewrite JSON file")]
    [BenchmarkCategory("CompareAndSet")]
    public void CompareAndSetFile() => Run<CompareAndSetFileStore>(FileOperations);

    /// <summary>The in-memory store completes synchronously; this says so without blocking if it ever did not.</summary>
    private static T Completed<T>(ValueTask<T> task) => task.IsCompleted ? task.Result : task.AsTask().GetAwaiter().GetResult();

    private MemoryEntry NewEntry(string key) =>
        new(key, Value, Interlocked.Increment(ref _sequence.Value), Author, TimeProvider.System.GetUtcNow());

    /// <summary>Runs <paramref name="operations"/> calls of <typeparamref name="TOperation"/>, split between the
    /// threads, each thread walking the keys from its own starting point.</summary>
    /// <remarks>The operation is a struct type argument, so each loop is compiled for it and the call inlined: no
    /// delegate call per operation to blur the differences.</remarks>
    private void Run<TOperation>(int operations)
        where TOperation : struct, IOperation
    {
        int perThread = operations / Threads;
        _team.Run(thread => Loop<TOperation>(thread * (KeyCount / Threads), perThread));
    }

    private void Loop<TOperation>(int offset, int count)
        where TOperation : struct, IOperation
    {
        string[] keys = _keys;
        for (int i = 0; i < count; i++)
        {
            default(TOperation).Invoke(this, keys[(offset + i) % KeyCount]);
        }
    }

    private interface IOperation
    {
        void Invoke(SharedMemoryBenchmarks b, string key);
    }

    private readonly struct GetConcurrent : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key) => b._concurrent.TryGetValue(key, out _);
    }

    private readonly struct GetInMemoryStore : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key) => Completed(b._memory.GetAsync(key));
    }

    private readonly struct GetLockedStore : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key) => b._locked.Get(key);
    }

    private readonly struct GetFileStore : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key) => b._file.Get(key);
    }

    private readonly struct SetConcurrent : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key) => b._concurrent[key] = b.NewEntry(key);
    }

    private readonly struct SetInMemoryStore : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key) => Completed(b._memory.SetAsync(key, Value, Author));
    }

    private readonly struct SetLockedStore : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key) => b._locked.Set(key, Value, Author);
    }

    private readonly struct SetFileStore : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key) => b._file.Set(key, Value, Author);
    }

    private readonly struct CompareAndSetConcurrent : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key)
        {
            while (true)
            {
                MemoryEntry current = b._concurrent[key];
                if (b._concurrent.TryUpdate(key, b.NewEntry(key), current))
                {
                    return;
                }
            }
        }
    }

    private readonly struct CompareAndSetInMemoryStore : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key)
        {
            MemoryEntry current = Completed(b._memory.GetAsync(key))!;
            while (true)
            {
                CompareAndSetResult result = Completed(b._memory.CompareAndSetAsync(key, current.Version, Value, Author));
                if (result.Succeeded)
                {
                    return;
                }

                current = result.Current!;
            }
        }
    }

    private readonly struct CompareAndSetLockedStore : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key)
        {
            while (!b._locked.CompareAndSet(key, b._locked.Get(key)!.Version, Value, Author))
            {
            }
        }
    }

    private readonly struct CompareAndSetFileStore : IOperation
    {
        public void Invoke(SharedMemoryBenchmarks b, string key)
        {
            while (!b._file.CompareAndSet(key, b._file.Get(key)!.Version, Value, Author))
            {
            }
        }
    }

    /// <summary>
    /// 3 warm-up and 10 measured iterations of 200 ms each: about four minutes for the 36 cases on 2 cores. The job is a
    /// default job, so one given on the command line (<c>--job short</c>) replaces it.
    /// </summary>
    private sealed class ShortRunConfig : ManualConfig
    {
        public ShortRunConfig() =>
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(200)).AsDefault());
    }

    /// <summary>
    /// Threads started once and released together for each invocation, so thread start-up is not measured; the
    /// calling thread is one of them, so one thread measures the plain call.
    /// </summary>
    private sealed class ThreadTeam : IDisposable
    {
        private readonly Barrier _start;
        private readonly Barrier _end;
        private readonly Thread[] _threads;
        private Action<int>? _work;
        private volatile bool _stopping;

        public ThreadTeam(int threads)
        {
            _start = new Barrier(threads);
            _end = new Barrier(threads);
            _threads = [.. Enumerable.Range(1, threads - 1).Select(i => new Thread(() => Loop(i)) { IsBackground = true, Name = $"bench-{i}" })];
            foreach (Thread thread in _threads)
            {
                thread.Start();
            }
        }

        public void Run(Action<int> work)
        {
            if (_threads.Length == 0)
            {
                work(0);
                return;
            }

            _work = work;
            _start.SignalAndWait();
            work(0);
            _end.SignalAndWait();
        }

        public void Dispose()
        {
            _stopping = true;
            if (_threads.Length > 0)
            {
                _start.SignalAndWait();
            }

            foreach (Thread thread in _threads)
            {
                thread.Join();
            }

            _start.Dispose();
            _end.Dispose();
        }

        private void Loop(int index)
        {
            while (true)
            {
                _start.SignalAndWait();
                if (_stopping)
                {
                    return;
                }

                _work!(index);
                _end.SignalAndWait();
            }
        }
    }

    /// <summary>A long alone on its 64-byte cache line (with the line before and after it kept free).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct PaddedCounter
    {
        [FieldOffset(64)]
        public long Value;
    }

    /// <summary>The same entries in a <see cref="Dictionary{TKey, TValue}"/> behind one <c>lock</c>.</summary>
    private sealed class LockedStore
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, MemoryEntry> _entries = new(StringComparer.Ordinal);
        private long _sequence;

        public MemoryEntry? Get(string key)
        {
            lock (_gate)
            {
                return _entries.GetValueOrDefault(key);
            }
        }

        public void Set(string key, JsonElement value, string author)
        {
            lock (_gate)
            {
                _entries[key] = new MemoryEntry(key, value, ++_sequence, author, TimeProvider.System.GetUtcNow());
            }
        }

        public bool CompareAndSet(string key, long expectedVersion, JsonElement value, string author)
        {
            lock (_gate)
            {
                if ((_entries.GetValueOrDefault(key)?.Version ?? 0) != expectedVersion)
                {
                    return false;
                }

                _entries[key] = new MemoryEntry(key, value, ++_sequence, author, TimeProvider.System.GetUtcNow());
                return true;
            }
        }
    }

    /// <summary>
    /// The original demo's shared memory: one JSON file, read whole and rewritten whole (indented) on every update. A
    /// lock makes it correct between threads; the original had none, and lost updates.
    /// </summary>
    private sealed class JsonFileStore(string path)
    {
        private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
        private readonly Lock _gate = new();

        public MemoryEntry? Get(string key)
        {
            lock (_gate)
            {
                return Read()[key] is JsonObject entry ? ToEntry(key, entry) : null;
            }
        }

        public void Set(string key, JsonElement value, string author)
        {
            lock (_gate)
            {
                JsonObject all = Read();
                all[key] = NewEntry(all, value, author);
                Write(all);
            }
        }

        public bool CompareAndSet(string key, long expectedVersion, JsonElement value, string author)
        {
            lock (_gate)
            {
                JsonObject all = Read();
                long current = all[key] is JsonObject entry ? entry["version"]!.GetValue<long>() : 0;
                if (current != expectedVersion)
                {
                    return false;
                }

                all[key] = NewEntry(all, value, author);
                Write(all);
                return true;
            }
        }

        public void Delete() => Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);

        private static JsonObject NewEntry(JsonObject all, JsonElement value, string author)
        {
            // The version counter lives in the file too, as everything else does.
            long sequence = (all["$sequence"]?.GetValue<long>() ?? 0) + 1;
            all["$sequence"] = sequence;
            return new JsonObject
            {
                ["value"] = JsonNode.Parse(value.GetRawText()),
                ["version"] = sequence,
                ["author"] = author,
                ["timestamp"] = TimeProvider.System.GetUtcNow(),
            };
        }

        private static MemoryEntry ToEntry(string key, JsonObject entry) => new(
            key,
            JsonSerializer.SerializeToElement(entry["value"]),
            entry["version"]!.GetValue<long>(),
            entry["author"]!.GetValue<string>(),
            entry["timestamp"]!.GetValue<DateTimeOffset>());

        private JsonObject Read() =>
            File.Exists(path) ? JsonNode.Parse(File.ReadAllBytes(path))!.AsObject() : new JsonObject();

        private void Write(JsonObject all)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(all, Indented));
        }
    }
}
