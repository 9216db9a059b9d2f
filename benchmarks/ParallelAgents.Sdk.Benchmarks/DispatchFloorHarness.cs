using System.Diagnostics;
using System.Globalization;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// How far the engine is from the least any dependency-driven executor can do on this machine: the 10,000-task DAG
/// of <see cref="DispatchBenchmarks"/> run by the bare level-by-level baseline, by the engine, and by two minimal
/// executors written for this harness (<see cref="FloorExecutor"/>), in rotating blocks in one process.
/// </summary>
/// <remarks>
/// The minimal executors have no priorities, retries, timeouts, cancellation, events, status or telemetry; they run
/// each task once when its dependencies are done, on workers that spin rather than park. "Floor, contract" does what
/// the engine owes its caller per task and nothing else: an <see cref="AgentContext"/>, the call through
/// <see cref="IAgent"/>, the task's state, its start and end times by the engine's rule (about one clock reading per
/// task, and no task starting before a dependency ended), the countdown of its dependents. "Floor, bare" leaves out the
/// clock readings and the context. The figures say which part of the gap to the baseline is the engine's own and
/// which part any executor that keeps the engine's contract pays.
/// </remarks>
internal static class DispatchFloorHarness
{
    private const int TaskCount = DispatchBlockOptions.DispatchTaskCount;

    private static readonly string[] Sides = ["baseline", "floor, bare", "floor, contract", "engine"];

    public static Task<int> RunAsync(string[] args) =>
        DispatchBlockOptions.RunAsync(args, defaultRounds: 20, [1, Environment.ProcessorCount], (dag, workers, options) => MeasureAsync(dag, workers, options.Rounds, options.RunsPerBlock));

    private static async Task MeasureAsync(RandomDag dag, int workers, int rounds, int runsPerBlock)
    {
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(new DelegateAgent(static (_, _) => ValueTask.FromResult(AgentOutcome.Success())))
            .WithMaxParallelAgents(workers)
            .Build();
        var bare = new FloorExecutor(dag, workers, keepsContract: false);
        var contract = new FloorExecutor(dag, workers, keepsContract: true);
        Func<Task>[] run =
        [
            () => DispatchPairedHarness.LevelByLevelAsync(dag, workers),
            bare.RunAsync,
            contract.RunAsync,
            async () =>
            {
                RunResult result = await engine.RunAsync(dag.Plan).ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    throw new InvalidOperationException($"The run did not succeed: {result}");
                }
            },
        ];

        var warmUp = Stopwatch.StartNew();
        for (int i = 0; i < 100 || warmUp.Elapsed < TimeSpan.FromSeconds(2); i++)
        {
            foreach (Func<Task> side in run)
            {
                await side().ConfigureAwait(false);
            }
        }

        bare.Verify();
        contract.Verify();
        var wall = Sides.Select(_ => new List<double>()).ToArray();
        var cpu = Sides.Select(_ => new List<double>()).ToArray();
        using var process = Process.GetCurrentProcess();
        for (int round = 0; round < rounds; round++)
        {
            for (int step = 0; step < run.Length; step++)
            {
                // Each side goes first in turn: a block inherits the thread pool's state from the one before it.
                int side = (step + round) % run.Length;
                process.Refresh();
                TimeSpan cpuBefore = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < runsPerBlock; i++)
                {
                    await run[side]().ConfigureAwait(false);
                }

                wall[side].Add(clock.Elapsed.TotalMicroseconds / runsPerBlock);
                process.Refresh();
                cpu[side].Add((process.TotalProcessorTime - cpuBefore).TotalMicroseconds / runsPerBlock);
                (side == 1 ? bare : side == 2 ? contract : null)?.Verify();
            }
        }

        double baseline = DispatchPairedHarness.Median(wall[0]);
        for (int side = 0; side < Sides.Length; side++)
        {
            double us = DispatchPairedHarness.Median(wall[side]);
            string readings = side == 2 ? string.Create(CultureInfo.InvariantCulture, $", {contract.ReadingsPerTask:F2} clock readings per task") : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"workers {workers}: {Sides[side],-16} median {us,7:F0} us ({us * 1000 / TaskCount,4:F0} ns/task, {us / baseline:F2} x baseline), CPU {DispatchPairedHarness.Median(cpu[side]),7:F0} us per run{readings}"));
        }
    }

    /// <summary>A minimal dependency-driven executor: workers run a task as soon as its last dependency is done, each
    /// keeping one released task for itself and sharing the others through one locked stack, from which a worker with
    /// nothing left takes up to <see cref="TakeAtOnce"/> at once.</summary>
    private sealed class FloorExecutor
    {
        // Typed as the interface on purpose: the engine calls agents through IAgent, so the floor must too.
#pragma warning disable CA1859
        private static readonly IAgent Agent = new DelegateAgent(static (_, _) => ValueTask.FromResult(AgentOutcome.Success()));
#pragma warning restore CA1859
        private readonly int[][] _dependencies;
        private readonly int[][] _dependents;
        private readonly AgentTask[] _tasks;
        private readonly int _workers;
        private readonly bool _keepsContract;
        private readonly int[] _pending;
        private readonly long[] _started;
        private readonly long[] _ended;
        private readonly TaskState[] _states;
        private readonly Stack<int> _shared = new();
        private readonly Lock _gate = new();
        private readonly AgentContextRun _run = new("floor", null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null);
        private readonly AgentContext _oneContext;
        private const int TakeAtOnce = 8;
        private int _done;
        private long _readings;

        /// <summary>Clock readings per task in the last run.</summary>
        public double ReadingsPerTask => (double)Volatile.Read(ref _readings) / _pending.Length;

        public FloorExecutor(RandomDag dag, int workers, bool keepsContract)
        {
            _dependencies = dag.Dependencies;
            _dependents = dag.Dependents();
            _tasks = [.. dag.Plan.Tasks];
            _workers = workers;
            _keepsContract = keepsContract;
            _pending = new int[dag.Count];
            _started = new long[dag.Count];
            _ended = new long[dag.Count];
            _states = new TaskState[dag.Count];
            _oneContext = new AgentContext(_run, _tasks[0], 0);
        }

        public async Task RunAsync()
        {
            _done = 0;
            _readings = 0;
            for (int i = 0; i < _pending.Length; i++)
            {
                _pending[i] = _dependencies[i].Length;
                _states[i] = TaskState.Pending;
                if (_pending[i] == 0)
                {
                    _shared.Push(i);
                }
            }

            var workers = new Task[_workers];
            for (int w = 0; w < _workers; w++)
            {
                workers[w] = Task.Run(Work);
            }

            await Task.WhenAll(workers).ConfigureAwait(false);
        }

        /// <summary>Whether a task that became the worker's after its reading of generation <paramref name="since"/>
        /// may start at its reading of generation <paramref name="generation"/>: that reading came later.</summary>
        private static bool CanStartAtLastReading(long since, long generation) => since < generation;

        /// <summary>Checks the last run, outside the measured blocks.</summary>
        public void Verify()
        {
            int unfinished = Array.FindIndex(_states, s => s != TaskState.Succeeded);
            if (unfinished >= 0)
            {
                throw new InvalidOperationException($"The floor executor left task {unfinished} {_states[unfinished]}.");
            }

            for (int task = 0; task < _started.Length; task++)
            {
                foreach (int dependency in _dependencies[task])
                {
                    if (_keepsContract && _started[task] < _ended[dependency])
                    {
                        throw new InvalidOperationException($"The floor executor started task {task} before its dependency {dependency} ended.");
                    }
                }
            }
        }

        private void Work()
        {
            // The worker's own tasks, each with the generation of the worker's clock reading that was its latest when
            // the task became the worker's (released by the worker's task or taken from the shared stack).
            // A worker holds at most what it took at once: each task takes one off and puts at most one back.
            var local = new int[TakeAtOnce];
            var since = new long[TakeAtOnce];
            int held = 0;
            long reading = 0;
            long generation = 0;
            var idle = default(SpinWait);
            int done = 0;
            while (true)
            {
                if (held == 0)
                {
                    lock (_gate)
                    {
                        while (held < TakeAtOnce && _shared.TryPop(out int shared))
                        {
                            local[held] = shared;
                            since[held++] = generation;
                        }
                    }

                    if (held == 0)
                    {
                        // The count of finished tasks is shared only when the worker runs out of work, not per task.
                        if (done > 0)
                        {
                            Interlocked.Add(ref _done, done);
                            done = 0;
                        }

                        if (Volatile.Read(ref _done) == _pending.Length)
                        {
                            Interlocked.Add(ref _readings, generation);
                            return;
                        }

                        idle.SpinOnce(sleep1Threshold: -1);
                        continue;
                    }

                    idle.Reset();
                }

                // A task may start at the worker's last reading only if that reading came after the task became the
                // worker's (or ended its only dependency); one that cannot waits one task when the worker has another
                // that can, as the engine's held attempts do; otherwise the clock is read.
                if (_keepsContract && !CanStartAtLastReading(since[held - 1], generation)
                    && held > 1 && CanStartAtLastReading(since[held - 2], generation))
                {
                    (local[held - 1], local[held - 2]) = (local[held - 2], local[held - 1]);
                    (since[held - 1], since[held - 2]) = (since[held - 2], since[held - 1]);
                }

                int task = local[--held];
                if (_keepsContract && !CanStartAtLastReading(since[held], generation))
                {
                    reading = Stopwatch.GetTimestamp();
                    generation++;
                }

                _started[task] = reading;
                AgentContext context = _keepsContract ? new AgentContext(_run, _tasks[task], task) : _oneContext;
                ValueTask<AgentOutcome> running = Agent.RunAsync(context, CancellationToken.None);
                AgentOutcome outcome = running.IsCompletedSuccessfully ? running.Result : running.AsTask().GetAwaiter().GetResult();
                if (_keepsContract)
                {
                    reading = Stopwatch.GetTimestamp();
                    generation++;
                }

                _ended[task] = reading;
                _states[task] = outcome.Succeeded ? TaskState.Succeeded : TaskState.Failed;
                bool kept = false;
                foreach (int dependent in _dependents[task])
                {
                    if (Interlocked.Decrement(ref _pending[dependent]) == 0)
                    {
                        if (!kept)
                        {
                            // Released by this end: this reading serves when it ended the task's only dependency.
                            local[held] = dependent;
                            since[held++] = _dependencies[dependent].Length == 1 ? generation - 1 : generation;
                            kept = true;
                        }
                        else
                        {
                            lock (_gate)
                            {
                                _shared.Push(dependent);
                            }
                        }
                    }
                }

                done++;
            }
        }
    }
}
