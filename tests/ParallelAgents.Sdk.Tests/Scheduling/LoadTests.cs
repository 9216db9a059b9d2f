using System.Collections.Concurrent;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Scheduling;

/// <summary>A thousand tasks with scripted agents that do real asynchronous work: nothing may be lost or reordered.</summary>
public class LoadTests
{
    private const int TaskCount = 1_000;
    private const int Limit = 8;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What the agent of a task does on each attempt.</summary>
    private enum Script
    {
        /// <summary>Yields to the thread pool, then succeeds.</summary>
        Yield,

        /// <summary>Parks on a gate that another thread opens later, then succeeds.</summary>
        Gate,

        /// <summary>Completes synchronously.</summary>
        Synchronous,

        /// <summary>Fails transiently on its first attempt, then succeeds (after seeing the first error).</summary>
        TransientOnce,

        /// <summary>Fails for good: its dependents, direct or not, are skipped.</summary>
        Fail,

        /// <summary>Throws an exception that is not transient: a failure for good as well.</summary>
        Throw,

        /// <summary>Two agents race: lane 0 fails for good, lane 1 succeeds once lane 0 has run.</summary>
        TwoLanes,
    }

    [Fact]
    public async Task RunAsync_ThousandTasksWithScriptedAgents_EveryTaskEndsAsScriptedAndNothingIsLost()
    {
        var random = new Random(20_261_130);
        var scripts = new Script[TaskCount];
        var dependencies = new int[TaskCount][];
        var tasks = new AgentTask[TaskCount];

        // The expected end of every task, worked out from the scripts alone.
        var expected = new TaskState[TaskCount];
        for (int i = 0; i < TaskCount; i++)
        {
            int roll = random.Next(100);
            scripts[i] = roll switch
            {
                < 40 => Script.Yield,
                < 65 => Script.Gate,
                < 80 => Script.Synchronous,
                < 92 => Script.TransientOnce,
                < 93 => Script.Fail,
                < 94 => Script.Throw,
                _ => Script.TwoLanes,
            };

            // Up to three dependencies among the 60 tasks before: a deep graph with wide levels. A task that will be
            // skipped is rarely chosen, so failures skip their dependents, some transitively, not most of the plan.
            var chosen = new SortedSet<int>();
            int wanted = i == 0 ? 0 : random.Next(0, 4);
            for (int draw = 0; draw < 20 && chosen.Count < Math.Min(wanted, i); draw++)
            {
                int candidate = random.Next(Math.Max(0, i - 60), i);
                if (expected[candidate] != TaskState.Skipped || random.Next(10) == 0)
                {
                    chosen.Add(candidate);
                }
            }

            dependencies[i] = [.. chosen];
            tasks[i] = new AgentTask
            {
                Id = Id(i),
                Instructions = scripts[i].ToString(),
                Dependencies = [.. chosen.Select(Id)],
                AgentCount = scripts[i] == Script.TwoLanes ? 2 : 1,
                Priority = (TaskPriority)random.Next(0, 3),
            };
            expected[i] = dependencies[i].Any(d => expected[d] != TaskState.Succeeded) ? TaskState.Skipped
                : scripts[i] is Script.Fail or Script.Throw ? TaskState.Failed
                : TaskState.Succeeded;
        }

        var succeeded = new ConcurrentDictionary<string, bool>();
        var violations = new ConcurrentQueue<string>();
        var calls = new int[TaskCount];
        var laneZeroRan = new ConcurrentDictionary<int, TaskCompletionSource>();
        var gates = System.Threading.Channels.Channel.CreateUnbounded<TaskCompletionSource>(
            new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
        int running = 0, highest = 0;
        TaskCompletionSource LaneZero(int index) =>
            laneZeroRan.GetOrAdd(index, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        // Opens the gates one by one from its own thread, after a yield each: agents park and wake for real.
        Task pump = Task.Run(async () =>
        {
            await foreach (TaskCompletionSource gate in gates.Reader.ReadAllAsync(CancellationToken.None))
            {
                gate.TrySetResult();
                await Task.Yield();
            }
        }, CancellationToken.None);

        await using AgentEngine engine = EngineFactory.Create(async (context, ct) =>
        {
            int index = IndexOf(context.Task.Id);
            Interlocked.Increment(ref calls[index]);
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref highest, now);
            try
            {
                foreach (string dependency in context.Task.Dependencies)
                {
                    if (!succeeded.ContainsKey(dependency))
                    {
                        violations.Enqueue($"{context.Task.Id} started before {dependency} succeeded");
                    }
                }

                if (context.Dependencies.Count != context.Task.Dependencies.Count
                    || context.Dependencies.Any(d => d.State != TaskState.Succeeded))
                {
                    violations.Enqueue($"{context.Task.Id} was not given its dependencies' successful results");
                }

                AgentOutcome outcome;
                switch (scripts[index])
                {
                    case Script.Synchronous:
                        outcome = AgentOutcome.Success(context.Task.Id);
                        break;
                    case Script.Gate:
                        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        await gates.Writer.WriteAsync(gate, ct);
                        await gate.Task.WaitAsync(ct);
                        outcome = AgentOutcome.Success(context.Task.Id);
                        break;
                    case Script.TransientOnce when context.Attempt == 1:
                        await Task.Yield();
                        outcome = AgentOutcome.Failure("rate limited", isTransient: true);
                        break;
                    case Script.TransientOnce:
                        if (context.PreviousError != "rate limited")
                        {
                            violations.Enqueue($"{context.Task.Id} retried without its previous error");
                        }

                        await Task.Yield();
                        outcome = AgentOutcome.Success(context.Task.Id);
                        break;
                    case Script.Fail:
                        await Task.Yield();
                        outcome = AgentOutcome.Failure("scripted failure");
                        break;
                    case Script.Throw:
                        await Task.Yield();
                        throw new InvalidOperationException("scripted exception");
                    case Script.TwoLanes when context.Lane == 0:
                        await Task.Yield();
                        LaneZero(index).TrySetResult();
                        outcome = AgentOutcome.Failure("lane 0 fails");
                        break;
                    case Script.TwoLanes:
                        // Lane 0 is always taken before lane 1 of the same task, so this wait ends; it makes both
                        // lanes call their agent whatever the timing.
                        await LaneZero(index).Task.WaitAsync(ct);
                        outcome = AgentOutcome.Success(context.Task.Id);
                        break;
                    default:
                        await Task.Yield();
                        outcome = AgentOutcome.Success(context.Task.Id);
                        break;
                }

                if (outcome.Succeeded)
                {
                    // Before the engine hears of it, so a dependent that starts finds it here.
                    succeeded[context.Task.Id] = true;
                }

                return outcome;
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }, maxParallelAgents: Limit, configure: o => o.EventBufferCapacity = 1_048_576);

        var events = new List<AgentEvent>();
        await using IAsyncEnumerator<AgentEvent> stream = engine.WatchAsync(Ct).GetAsyncEnumerator(Ct);
        Task<RunResult> run = engine.RunAsync(TaskPlan.Create(tasks), Ct);
        while (await stream.MoveNextAsync())
        {
            events.Add(stream.Current);
            if (stream.Current.Kind == AgentEventKind.RunCompleted)
            {
                break;
            }
        }

        RunResult result = await run;
        gates.Writer.Complete();
        await pump;

        Assert.Empty(violations);
        Assert.Equal(TaskCount, result.Tasks.Count);
        Assert.InRange(highest, 1, Limit);
        Assert.DoesNotContain(events, e => e.Kind == AgentEventKind.EventsDropped);
        ILookup<string?, AgentEvent> eventsOf = events.ToLookup(e => e.TaskId);
        for (int i = 0; i < TaskCount; i++)
        {
            TaskResult task = result.Tasks[i];
            Assert.Equal(Id(i), task.TaskId);
            Assert.True(expected[i] == task.State, $"{task.TaskId} ({scripts[i]}) ended {task.State}, expected {expected[i]}: {task.Error}");
            int attempts = expected[i] == TaskState.Skipped ? 0
                : scripts[i] == Script.TransientOnce ? 2
                : scripts[i] == Script.TwoLanes ? 2
                : 1;
            Assert.True(attempts == calls[i], $"{task.TaskId} ({scripts[i]}): {calls[i]} agent calls, expected {attempts}");
            Assert.Equal(attempts, task.Attempts.Count);
            if (expected[i] == TaskState.Succeeded)
            {
                Assert.Equal(task.TaskId, task.Summary);
                Assert.All(dependencies[i], d => Assert.True(result.Tasks[d].CompletedAt <= task.StartedAt));
            }

            // Each task ends exactly once, in its final state, and every agent call was announced.
            AgentEvent final = Assert.Single(eventsOf[task.TaskId], e => e.Kind is AgentEventKind.TaskSucceeded
                or AgentEventKind.TaskFailed or AgentEventKind.TaskSkipped or AgentEventKind.TaskCancelled);
            Assert.Equal(task.State, final.State);
            Assert.Equal(attempts, eventsOf[task.TaskId].Count(e => e.Kind == AgentEventKind.TaskStarted));
        }

        Assert.Equal(expected.Count(s => s == TaskState.Succeeded), result.Count(TaskState.Succeeded));
        Assert.Equal(expected.Count(s => s == TaskState.Failed), result.Count(TaskState.Failed));
        Assert.Equal(expected.Count(s => s == TaskState.Skipped), result.Count(TaskState.Skipped));
        Assert.Equal(0, result.Count(TaskState.Cancelled));
        Assert.Equal(calls.Sum(), events.Count(e => e.Kind == AgentEventKind.TaskStarted));

        // The scripts must really exercise what they claim to.
        Assert.Contains(expected, s => s == TaskState.Skipped);
        Assert.Contains(Enumerable.Range(0, TaskCount), i => expected[i] == TaskState.Skipped && dependencies[i].All(d => expected[d] != TaskState.Failed));
        Assert.True(result.Count(TaskState.Succeeded) > TaskCount / 2,
            $"{result.Count(TaskState.Succeeded)} succeeded, {result.Count(TaskState.Failed)} failed, {result.Count(TaskState.Skipped)} skipped");
    }

    private static string Id(int index) => $"t{index:D4}";

    private static int IndexOf(string id) => int.Parse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);

    private static void InterlockedMax(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
