using System.Collections.Concurrent;
using ParallelAgents.Sdk.Tests.TestSupport;
using static ParallelAgents.Sdk.Tests.TestSupport.Plans;

namespace ParallelAgents.Sdk.Tests.Scheduling;

public class SchedulerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_RandomDag_EveryTaskStartsAfterItsDependenciesSucceeded()
    {
        TaskPlan plan = RandomDag(300, seed: 7);
        var finished = new ConcurrentDictionary<string, bool>();
        var violations = new ConcurrentBag<string>();
        await using AgentEngine engine = EngineFactory.Create(async (context, _) =>
        {
            foreach (string dependency in context.Task.Dependencies)
            {
                if (!finished.ContainsKey(dependency))
                {
                    violations.Add($"{context.Task.Id} started before {dependency} finished");
                }
            }

            await Task.Yield();
            finished[context.Task.Id] = true;
            return AgentOutcome.Success();
        }, maxParallelAgents: 8);

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Empty(violations);
        Assert.True(result.Succeeded);
        Assert.Equal(300, result.Count(TaskState.Succeeded));
    }

    [Fact]
    public async Task RunAsync_OneWorker_StartsHigherPriorityFirst()
    {
        TaskPlan plan = Of(
            new AgentTask { Id = "low", Instructions = "x", Priority = TaskPriority.Low },
            new AgentTask { Id = "medium", Instructions = "x", Priority = TaskPriority.Medium },
            new AgentTask { Id = "high", Instructions = "x", Priority = TaskPriority.High });
        IReadOnlyList<string> order = await StartOrderAloneAsync(plan);

        Assert.Equal(["high", "medium", "low"], order);
    }

    [Fact]
    public async Task RunAsync_EqualPriority_StartsLongestRemainingPathFirst()
    {
        // 'short' comes first in the plan, but 'head' leads a 10-hour chain: the critical path starts first.
        TaskPlan plan = Of(
            new AgentTask { Id = "short", Instructions = "x", EstimatedHours = 3 },
            new AgentTask { Id = "head", Instructions = "x", EstimatedHours = 1 },
            new AgentTask { Id = "tail", Instructions = "x", EstimatedHours = 9, Dependencies = ["head"] },
            new AgentTask { Id = "tiny", Instructions = "x", EstimatedHours = 0.5 });
        IReadOnlyList<string> order = await StartOrderAloneAsync(plan);

        Assert.Equal(["head", "tail", "short", "tiny"], order);
    }

    [Fact]
    public async Task RunAsync_PriorityBeatsCriticalPath()
    {
        TaskPlan plan = Of(
            new AgentTask { Id = "long", Instructions = "x", EstimatedHours = 100 },
            new AgentTask { Id = "urgent", Instructions = "x", EstimatedHours = 1, Priority = TaskPriority.High });
        IReadOnlyList<string> order = await StartOrderAloneAsync(plan);

        Assert.Equal(["urgent", "long"], order);
    }

    [Fact]
    public async Task RunAsync_SynchronousAgentReleasesDependents_NextStartIsTheBestReadyTask()
    {
        // A worker whose agent completes synchronously goes straight on to its next attempt; that attempt must still
        // be the best ready one, whether the task just released it or it was already waiting.
        TaskPlan plan = Of(
            new AgentTask { Id = "gate", Instructions = "x", Priority = TaskPriority.High },
            new AgentTask { Id = "m1", Instructions = "x", Priority = TaskPriority.Medium },
            new AgentTask { Id = "m2", Instructions = "x", Priority = TaskPriority.Medium },
            new AgentTask { Id = "late", Instructions = "x", Priority = TaskPriority.Low, Dependencies = ["gate"] },
            new AgentTask { Id = "urgent", Instructions = "x", Priority = TaskPriority.High, Dependencies = ["gate"] });
        IReadOnlyList<string> order = await StartOrderAloneAsync(plan);

        Assert.Equal(["gate", "urgent", "m1", "m2", "late"], order);
    }

    [Fact]
    public async Task RunAsync_OneWorkerShortSynchronousAgents_StartsInTheSameOrderAsTakingOneAtATime()
    {
        // A worker that runs short synchronous attempts takes several at once; alone, it must still start every task in
        // the order a worker taking one best ready task at a time would.
        TaskPlan plan = RandomDag(400, seed: 5, window: 30);
        IReadOnlyList<string> order = await StartOrderAloneAsync(plan);

        Assert.Equal(OneAtATime(plan), order);
    }

    [Fact]
    public async Task RunAsync_AgentsFinishingRightAfterGoingAsynchronous_EveryRunEnds()
    {
        // A worker gives back what it holds when its attempt goes asynchronous, while that attempt may already be ending
        // on another thread and recording what it released; nothing may be lost between the two (a lost task count
        // left every worker parked and the run waiting for good).
        TaskPlan plan = RandomDag(60, seed: 3, window: 8);
        await using AgentEngine engine = EngineFactory.Create(async (context, _) =>
        {
            if (context.Task.Id.GetHashCode(StringComparison.Ordinal) % 3 == 0)
            {
                await Task.Yield();
            }

            return AgentOutcome.Success();
        }, maxParallelAgents: 4);

        for (int run = 0; run < 150; run++)
        {
            // A bound instead of hanging the test run if a run never ends; runs take milliseconds.
            RunResult result = await engine.RunAsync(plan, Ct).WaitAsync(TimeSpan.FromMinutes(1), Ct);
            Assert.True(result.Succeeded, result.ToString());
        }
    }

    [Fact]
    public async Task RunAsync_AgentBlocksUntilATaskItsWorkerTookAheadStarts_AnotherWorkerTakesItBack()
    {
        // After short synchronous attempts a worker takes several at once. If the next one it runs blocks until another
        // one it took starts, that one must be taken back by a worker that finds the queue empty, or the run waits for
        // good.
        var tasks = new List<AgentTask>();
        for (int i = 0; i < 64; i++)
        {
            tasks.Add(new AgentTask { Id = $"quick{i}", Instructions = "x", Priority = TaskPriority.High });
        }

        tasks.Add(new AgentTask { Id = "waits", Instructions = "x", Priority = TaskPriority.Medium });
        tasks.Add(new AgentTask { Id = "awaited", Instructions = "x", Priority = TaskPriority.Low });
        using var awaitedStarted = new ManualResetEventSlim();
        await using AgentEngine engine = EngineFactory.Create((context, _) =>
        {
            switch (context.Task.Id)
            {
                case "awaited":
                    awaitedStarted.Set();
                    break;
                case "waits":
                    // Blocks its thread, as a synchronous agent may; bounded so that a failure ends the test.
                    if (!awaitedStarted.Wait(TimeSpan.FromMinutes(1), CancellationToken.None))
                    {
                        return ValueTask.FromResult(AgentOutcome.Failure("'awaited' never started"));
                    }

                    break;
            }

            return ValueTask.FromResult(AgentOutcome.Success());
        }, maxParallelAgents: 2);

        for (int run = 0; run < 40; run++)
        {
            awaitedStarted.Reset();
            RunResult result = await engine.RunAsync(Of([.. tasks]), Ct);
            Assert.True(result.Succeeded, result.ToString());
        }
    }

    [Fact]
    public async Task RunAsync_SynchronousAgents_NeverExceedLimitAndStartAfterDependencies()
    {
        const int limit = 2;
        TaskPlan plan = RandomDag(2000, seed: 11, window: 50);
        var finished = new ConcurrentDictionary<string, bool>();
        var violations = new ConcurrentBag<string>();
        int current = 0, highest = 0;
        await using AgentEngine engine = EngineFactory.Create((context, _) =>
        {
            int now = Interlocked.Increment(ref current);
            InterlockedMax(ref highest, now);
            foreach (string dependency in context.Task.Dependencies)
            {
                if (!finished.ContainsKey(dependency))
                {
                    violations.Add($"{context.Task.Id} started before {dependency} finished");
                }
            }

            finished[context.Task.Id] = true;
            Interlocked.Decrement(ref current);
            return ValueTask.FromResult(AgentOutcome.Success(context.Task.Id));
        }, maxParallelAgents: limit);

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Empty(violations);
        Assert.True(result.Succeeded);
        Assert.InRange(highest, 1, limit);
        Assert.All(result.Tasks, t => Assert.Equal(t.TaskId, t.Summary));
    }

    /// <summary>Runs <paramref name="plan"/> with one worker and agents that succeed at once, and returns the tasks in
    /// the order they started.</summary>
    private static async Task<IReadOnlyList<string>> StartOrderAloneAsync(TaskPlan plan)
    {
        var order = new ConcurrentQueue<string>();
        await using AgentEngine engine = EngineFactory.Create((context, _) =>
        {
            order.Enqueue(context.Task.Id);
            return ValueTask.FromResult(AgentOutcome.Success());
        }, maxParallelAgents: 1);

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.True(result.Succeeded, result.ToString());
        return [.. order];
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task RunAsync_ShortSynchronousAgents_EveryTaskStartsAtOrAfterEachDependencyEnded(int limit)
    {
        // A worker reads the clock once per short synchronous attempt where it can: the next attempt starts at the last
        // one's end when that reading came after it became ready. A task released by a dependency that ended on this
        // worker may have another that ended on the other worker later, and must not start at the earlier reading.
        // Many tasks with several dependencies, workers racing, and a clock that now and then is slow to return its
        // reading (which widens the gap between an end's reading and the release of its dependents) make that happen
        // if the rule is wrong.
        TaskPlan plan = RandomDag(3000, seed: 5, window: 8);
        await using AgentEngine engine = EngineFactory.Create(
            static (context, _) => ValueTask.FromResult(AgentOutcome.Success()), maxParallelAgents: limit, timeProvider: new SlowToReadClock());
        for (int run = 0; run < 40; run++)
        {
            RunResult result = await engine.RunAsync(plan, Ct);

            Assert.True(result.Succeeded);
            for (int i = 0; i < plan.Tasks.Count; i++)
            {
                TaskResult task = result.Tasks[i];
                AttemptResult attempt = Assert.Single(task.Attempts);
                Assert.Equal(task.StartedAt, attempt.StartedAt);
                Assert.True(attempt.Duration >= TimeSpan.Zero && task.CompletedAt >= task.StartedAt, $"{task.TaskId}: {task.StartedAt:O} to {task.CompletedAt:O}");
                foreach (string dependency in plan.Tasks[i].Dependencies)
                {
                    TaskResult ended = result.Tasks[plan.IndexOf(dependency)];
                    Assert.True(ended.CompletedAt <= task.StartedAt,
                        $"run {run}: {task.TaskId} started at {task.StartedAt:O}, before {dependency} ended at {ended.CompletedAt:O}");
                }
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunAsync_ChainOfShortSynchronousAgents_ReadsTheClockOncePerAttemptUnlessAnObserverRunsBetween(bool observed)
    {
        // Each task of a chain has one dependency, the task before, which its worker just ended: it starts at that end's
        // reading. An observer of the host's runs between one attempt's end and the next start, for as long as it likes,
        // so then every start is read.
        const int Count = 200;
        TaskPlan plan = Plans.Of([.. Enumerable.Range(0, Count).Select(i => i == 0 ? Plans.Work("c0") : Plans.Work($"c{i}", $"c{i - 1}"))]);
        var clock = new CountingClock();
        await using AgentEngine engine = EngineFactory.Create(
            static (context, _) => ValueTask.FromResult(AgentOutcome.Success()), maxParallelAgents: 1, timeProvider: clock);
        if (observed)
        {
            engine.AddObserver(new CountingObserver());
        }

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.True(result.Succeeded);
        if (observed)
        {
            Assert.InRange(clock.Readings, 2 * Count, 2 * Count + 10);
        }
        else
        {
            Assert.InRange(clock.Readings, Count, Count + 10);
            // The same reading, converted once as a start and once as a start plus a duration: a tick of rounding apart.
            Assert.All(Enumerable.Range(1, Count - 1), i =>
                Assert.InRange(result.Tasks[i].StartedAt!.Value - result.Tasks[i - 1].CompletedAt!.Value, TimeSpan.Zero, TimeSpan.FromTicks(1)));
        }
    }

    /// <summary>The system clock, counting its monotonic readings.</summary>
    private sealed class CountingClock : TimeProvider
    {
        private int _readings;

        public int Readings => Volatile.Read(ref _readings);

        public override long TimestampFrequency => TimeProvider.System.TimestampFrequency;

        public override long GetTimestamp()
        {
            Interlocked.Increment(ref _readings);
            return TimeProvider.System.GetTimestamp();
        }
    }

    private sealed class CountingObserver : RunObserver
    {
        public int Ended;

        public override void AttemptEnded(AgentTask task, int taskIndex, int attempt, int lane, AttemptStatus status, TimeSpan duration, string? error, AgentUsage? usage) =>
            Interlocked.Increment(ref Ended);
    }

    /// <summary>The system clock, except that one reading in five returns only after a few microseconds.</summary>
    private sealed class SlowToReadClock : TimeProvider
    {
        private int _readings;

        public override long TimestampFrequency => TimeProvider.System.TimestampFrequency;

        public override long GetTimestamp()
        {
            long now = TimeProvider.System.GetTimestamp();
            if (Interlocked.Increment(ref _readings) % 5 == 0)
            {
                long until = now + TimestampFrequency / 200_000;
                while (TimeProvider.System.GetTimestamp() < until)
                {
                    Thread.SpinWait(10);
                }
            }

            return now;
        }
    }

    [Fact]
    public async Task RunAsync_SynchronousAgentBlocksUntilAnotherStarts_TheOtherStillGetsAWorker()
    {
        // An agent that blocks its thread never goes asynchronous; the parked worker must still be woken for the
        // task waiting beside it, or this run would never end.
        TaskPlan plan = Of(
            new AgentTask { Id = "blocker", Instructions = "x", Priority = TaskPriority.High },
            new AgentTask { Id = "other", Instructions = "x", Priority = TaskPriority.Low });
        using var otherStarted = new ManualResetEventSlim();
        await using AgentEngine engine = EngineFactory.Create((context, ct) =>
        {
            if (context.Task.Id == "other")
            {
                otherStarted.Set();
            }
            else
            {
                otherStarted.Wait(ct);
            }

            return ValueTask.FromResult(AgentOutcome.Success());
        }, maxParallelAgents: 2);

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task RunAsync_ManyTasks_NeverExceedsLimitAndReachesIt()
    {
        const int limit = 3;
        TaskPlan plan = Of([.. Enumerable.Range(0, 40).Select(i => Work($"t{i}"))]);
        int current = 0, highest = 0, started = 0;
        var allSlotsBusy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = EngineFactory.Create(async (_, _) =>
        {
            int now = Interlocked.Increment(ref current);
            InterlockedMax(ref highest, now);
            if (Interlocked.Increment(ref started) <= limit)
            {
                // The first agents hold their slots until all of them run at once: proof the limit is reached.
                if (now == limit)
                {
                    allSlotsBusy.TrySetResult();
                }

                await allSlotsBusy.Task;
            }

            await Task.Yield();
            Interlocked.Decrement(ref current);
            return AgentOutcome.Success();
        }, maxParallelAgents: limit);

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.True(result.Succeeded);
        Assert.Equal(limit, highest);
    }

    [Fact]
    public async Task RunAsync_TaskFailsForGood_SkipsDependentsTransitivelyAndRunsTheRest()
    {
        TaskPlan plan = Of(Work("a"), Work("b", "a"), Work("c", "b"), Work("d"), Work("e", "d"));
        await using AgentEngine engine = EngineFactory.Create((context, _) => context.Task.Id == "a"
            ? throw new InvalidOperationException("boom")
            : ValueTask.FromResult(AgentOutcome.Success()));

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Equal(TaskState.Failed, result["a"].State);
        Assert.Contains("InvalidOperationException: boom", result["a"].Error, StringComparison.Ordinal);
        Assert.Single(result["a"].Attempts);
        Assert.Equal(TaskState.Skipped, result["b"].State);
        Assert.Equal("dependency 'a' failed", result["b"].Error);
        Assert.Equal(TaskState.Skipped, result["c"].State);
        Assert.Equal("dependency 'b' was skipped", result["c"].Error);
        Assert.Empty(result["c"].Attempts);
        Assert.Equal(TaskState.Succeeded, result["d"].State);
        Assert.Equal(TaskState.Succeeded, result["e"].State);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task RunAsync_TransientFailures_RetriesUntilSuccessWithPreviousError()
    {
        TaskPlan plan = Of(new AgentTask { Id = "flaky", Instructions = "x", MaxAttempts = 3 });
        var previousErrors = new ConcurrentQueue<string?>();
        await using AgentEngine engine = EngineFactory.Create((context, _) =>
        {
            previousErrors.Enqueue(context.PreviousError);
            return ValueTask.FromResult(context.Attempt < 3
                ? AgentOutcome.Failure($"rate limited {context.Attempt}", isTransient: true)
                : AgentOutcome.Success("third time lucky"));
        });

        RunResult result = await engine.RunAsync(plan, Ct);

        TaskResult flaky = result["flaky"];
        Assert.Equal(TaskState.Succeeded, flaky.State);
        Assert.Equal("third time lucky", flaky.Summary);
        Assert.Equal([1, 2, 3], flaky.Attempts.Select(a => a.Attempt));
        Assert.Equal([AttemptStatus.Failed, AttemptStatus.Failed, AttemptStatus.Succeeded], flaky.Attempts.Select(a => a.Status));
        Assert.True(flaky.Attempts[0].IsTransient);
        Assert.Equal([null, "rate limited 1", "rate limited 2"], previousErrors);
    }

    [Fact]
    public async Task RunAsync_TransientFailuresExhaustMaxAttempts_Fails()
    {
        TaskPlan plan = Of(new AgentTask { Id = "flaky", Instructions = "x", MaxAttempts = 4 });
        await using AgentEngine engine = EngineFactory.Create((_, _) => throw new TransientAgentException("503 from the model"));

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Equal(TaskState.Failed, result["flaky"].State);
        Assert.Equal(4, result["flaky"].Attempts.Count);
        Assert.Equal("TransientAgentException: 503 from the model", result["flaky"].Error);
    }

    [Fact]
    public async Task RunAsync_DefaultMaxAttempts_ComesFromRetryOptions()
    {
        TaskPlan plan = Of(Work("flaky"));
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Failure("again", isTransient: true)))
            .WithRetry(r => { r.MaxAttempts = 2; r.BaseDelay = TimeSpan.Zero; r.MaxDelay = TimeSpan.Zero; })
            .Build();

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Equal(2, result["flaky"].Attempts.Count);
    }

    [Fact]
    public async Task RunAsync_PermanentFailure_IsNotRetried()
    {
        TaskPlan plan = Of(new AgentTask { Id = "broken", Instructions = "x", MaxAttempts = 5 });
        int calls = 0;
        await using AgentEngine engine = EngineFactory.Create((_, _) =>
        {
            Interlocked.Increment(ref calls);
            return ValueTask.FromResult(AgentOutcome.Failure("syntax error in the plan"));
        });

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Equal(1, calls);
        Assert.Equal(TaskState.Failed, result["broken"].State);
        Assert.Equal("syntax error in the plan", result["broken"].Error);
    }

    [Fact]
    public async Task RunAsync_CustomShouldRetryException_DecidesWhatIsTransient()
    {
        TaskPlan plan = Of(new AgentTask { Id = "io", Instructions = "x", MaxAttempts = 2 });
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent((_, _) => throw new IOException("disk busy"))
            .WithRetry(r => { r.BaseDelay = TimeSpan.Zero; r.ShouldRetryException = ex => ex is IOException; })
            .Build();

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Equal(2, result["io"].Attempts.Count);
    }

    [Fact]
    public async Task RunAsync_RetryBackoff_WaitsOnTheTimeProviderWithoutHoldingASlot()
    {
        var time = EngineFactory.FakeTime();
        TaskPlan plan = Of(new AgentTask { Id = "flaky", Instructions = "x", MaxAttempts = 2 }, Work("other"));
        var otherRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(async (context, _) =>
            {
                if (context.Task.Id == "other")
                {
                    otherRan.TrySetResult();
                    return AgentOutcome.Success();
                }

                return context.Attempt == 1 ? AgentOutcome.Failure("429", isTransient: true) : AgentOutcome.Success();
            })
            .WithMaxParallelAgents(1)
            .WithRetry(r => { r.BaseDelay = TimeSpan.FromSeconds(10); r.UseJitter = false; })
            .UseTimeProvider(time)
            .Build();
        await using IAsyncEnumerator<AgentEvent> events = engine.WatchAsync(Ct).GetAsyncEnumerator(Ct);

        Task<RunResult> run = engine.RunAsync(plan, Ct);
        AgentEvent retrying = await events.WaitForAsync(e => e.Kind == AgentEventKind.TaskRetrying);
        Assert.Equal(TimeSpan.FromSeconds(10), retrying.Delay);
        Assert.Equal("429", retrying.Message);

        // The only slot is free while 'flaky' backs off, so 'other' runs before any time passes.
        await otherRan.Task.WaitAsync(Ct);
        Assert.False(run.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));
        RunResult result = await run.WaitAsync(Ct);

        Assert.True(result.Succeeded);
        Assert.Equal(2, result["flaky"].Attempts.Count);
    }

    [Fact]
    public void RetryOptions_DelayBefore_GrowsExponentiallyUpToMaxWithJitterWithinTwentyPercent()
    {
        var options = new RetryOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(5), UseJitter = false };
        Assert.Equal(TimeSpan.FromSeconds(1), options.DelayBefore(2));
        Assert.Equal(TimeSpan.FromSeconds(2), options.DelayBefore(3));
        Assert.Equal(TimeSpan.FromSeconds(4), options.DelayBefore(4));
        Assert.Equal(TimeSpan.FromSeconds(5), options.DelayBefore(5));

        options.UseJitter = true;
        for (int i = 0; i < 200; i++)
        {
            TimeSpan delay = options.DelayBefore(3);
            Assert.InRange(delay.TotalMilliseconds, 1600, 2400);
        }
    }

    [Fact]
    public async Task RunAsync_AttemptPastTimeout_IsCancelledAndCountsAsTransient()
    {
        var time = EngineFactory.FakeTime();
        TaskPlan plan = Of(new AgentTask { Id = "slow", Instructions = "x", Timeout = TimeSpan.FromMinutes(5), MaxAttempts = 2 });
        int attempts = 0;
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref attempts);
                if (context.Attempt == 2)
                {
                    return AgentOutcome.Success("quick this time");
                }

                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
                return AgentOutcome.Success();
            })
            .WithRetry(r => r.BaseDelay = TimeSpan.Zero)
            .UseTimeProvider(time)
            .Build();
        await using IAsyncEnumerator<AgentEvent> events = engine.WatchAsync(Ct).GetAsyncEnumerator(Ct);

        Task<RunResult> run = engine.RunAsync(plan, Ct);
        await events.WaitForAsync(e => e.Kind == AgentEventKind.TaskStarted);
        time.Advance(TimeSpan.FromMinutes(5));
        RunResult result = await run.WaitAsync(Ct);

        TaskResult slow = result["slow"];
        Assert.Equal(TaskState.Succeeded, slow.State);
        Assert.Equal(AttemptStatus.TimedOut, slow.Attempts[0].Status);
        Assert.Equal("the attempt timed out after 00:05:00", slow.Attempts[0].Error);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task RunAsync_Cancelled_StopsAgentsAndReportsHonestStates()
    {
        TaskPlan plan = Of(Work("a"), Work("b"), Work("c", "a"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        int running = 0;
        var bothRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = EngineFactory.Create(async (_, cancellationToken) =>
        {
            if (Interlocked.Increment(ref running) == 2)
            {
                bothRunning.TrySetResult();
            }

            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return AgentOutcome.Success();
        });

        Task<RunResult> run = engine.RunAsync(plan, cts.Token);
        await bothRunning.Task.WaitAsync(Ct);
        await cts.CancelAsync();
        RunResult result = await run.WaitAsync(Ct);

        Assert.True(result.WasCancelled);
        Assert.Equal(TaskState.Cancelled, result["a"].State);
        Assert.Equal("cancelled with the run", result["a"].Error);
        Assert.Equal(AttemptStatus.Cancelled, result["a"].Attempts.Single().Status);
        Assert.Equal(TaskState.Cancelled, result["b"].State);
        Assert.Equal(TaskState.Cancelled, result["c"].State);
        Assert.Equal("the run was cancelled before the task started", result["c"].Error);
        Assert.Empty(result["c"].Attempts);
    }

    [Fact]
    public async Task RunAsync_AgentIgnoresCancellation_ReturnsAfterGracePeriod()
    {
        TaskPlan plan = Of(Work("stubborn"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = EngineFactory.Create(async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
            return AgentOutcome.Success();
        }, configure: o => o.CancellationGracePeriod = TimeSpan.Zero);

        Task<RunResult> run = engine.RunAsync(plan, cts.Token);
        await started.Task.WaitAsync(Ct);
        await cts.CancelAsync();
        RunResult result = await run.WaitAsync(Ct);
        release.SetResult();

        Assert.Equal(TaskState.Cancelled, result["stubborn"].State);
        Assert.Contains("did not stop within the grace period", result["stubborn"].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_AgentCountThree_KeepsFirstSuccessAndCancelsTheOthers()
    {
        TaskPlan plan = Of(new AgentTask { Id = "race", Instructions = "x", AgentCount = 3 });
        int running = 0;
        var allThreeRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using AgentEngine engine = EngineFactory.Create(async (context, cancellationToken) =>
        {
            if (Interlocked.Increment(ref running) == 3)
            {
                allThreeRunning.TrySetResult();
            }

            await allThreeRunning.Task;
            if (context.Lane == 1)
            {
                return AgentOutcome.Success("lane 1 won");
            }

            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return AgentOutcome.Success("should have been cancelled");
        });

        RunResult result = await engine.RunAsync(plan, Ct);

        TaskResult race = result["race"];
        Assert.Equal(TaskState.Succeeded, race.State);
        Assert.Equal("lane 1 won", race.Summary);
        Assert.Equal(3, race.Attempts.Count);
        Assert.Equal([0, 2], race.Attempts.Where(a => a.Status == AttemptStatus.Cancelled).Select(a => a.Lane).Order());
        Assert.All(race.Attempts.Where(a => a.Status == AttemptStatus.Cancelled),
            a => Assert.Equal("another agent on this task succeeded first", a.Error));
    }

    [Fact]
    public async Task RunAsync_AgentCountAboveLimit_RunsLanesAsSlotsFree()
    {
        TaskPlan plan = Of(new AgentTask { Id = "wide", Instructions = "x", AgentCount = 5 });
        int current = 0, highest = 0;
        await using AgentEngine engine = EngineFactory.Create(async (_, _) =>
        {
            InterlockedMax(ref highest, Interlocked.Increment(ref current));
            await Task.Yield();
            Interlocked.Decrement(ref current);
            return AgentOutcome.Failure("no luck");
        }, maxParallelAgents: 2);

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Equal(TaskState.Failed, result["wide"].State);
        Assert.Equal(5, result["wide"].Attempts.Count);
        Assert.StartsWith("all 5 agents failed", result["wide"].Error, StringComparison.Ordinal);
        Assert.InRange(highest, 1, 2);
    }

    [Fact]
    public async Task RunAsync_OneLaneFailsAnotherSucceeds_TaskSucceeds()
    {
        TaskPlan plan = Of(new AgentTask { Id = "pair", Instructions = "x", AgentCount = 2 }, Work("after", "pair"));
        await using AgentEngine engine = EngineFactory.Create((context, _) => ValueTask.FromResult(
            context.Task.Id == "pair" && context.Lane == 0 ? AgentOutcome.Failure("lane 0 gave up") : AgentOutcome.Success()));

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task RunAsync_AgentReturnsNull_FailsThatTaskOnly()
    {
        TaskPlan plan = Of(Work("null"), Work("fine"));
        await using AgentEngine engine = EngineFactory.Create((context, _) =>
            ValueTask.FromResult(context.Task.Id == "null" ? null! : AgentOutcome.Success()));

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Equal("the agent returned no outcome", result["null"].Error);
        Assert.Equal(TaskState.Succeeded, result["fine"].State);
    }

    [Fact]
    public async Task RunAsync_Dependents_ReceiveDependencyResultsWithSummaries()
    {
        TaskPlan plan = Of(Work("schema"), Work("api", "schema"));
        IReadOnlyList<TaskResult>? seen = null;
        await using AgentEngine engine = EngineFactory.Create((context, _) =>
        {
            if (context.Task.Id == "api")
            {
                seen = context.Dependencies;
            }

            return ValueTask.FromResult(AgentOutcome.Success($"{context.Task.Id} done"));
        });

        await engine.RunAsync(plan, Ct);

        TaskResult dependency = Assert.Single(seen!);
        Assert.Equal("schema", dependency.TaskId);
        Assert.Equal("schema done", dependency.Summary);
        Assert.Equal(TaskState.Succeeded, dependency.State);
    }

    [Fact]
    public async Task RunAsync_TimesComeFromTheTimeProvider()
    {
        var time = EngineFactory.FakeTime();
        await using AgentEngine engine = EngineFactory.Create((_, _) => ValueTask.FromResult(AgentOutcome.Success()), timeProvider: time);

        RunResult result = await engine.RunAsync(Of(Work("a")), Ct);

        Assert.Equal(time.GetUtcNow(), result.StartedAt);
        Assert.Equal(time.GetUtcNow(), result["a"].StartedAt);
        Assert.Equal(TimeSpan.Zero, result.Duration);
        Assert.StartsWith("20261127T120000Z-", result.RunId, StringComparison.Ordinal);
    }

    /// <summary>The start order of a lone worker that always takes the best ready task (lowest rank).</summary>
    private static List<string> OneAtATime(TaskPlan plan)
    {
        int[] rank = plan.Graph.Rank;
        int[] pending = [.. plan.Graph.Dependencies.Select(d => d.Length)];
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < pending.Length; i++)
        {
            if (pending[i] == 0)
            {
                ready.Enqueue(i, rank[i]);
            }
        }

        var order = new List<string>();
        while (ready.TryDequeue(out int task, out _))
        {
            order.Add(plan.Tasks[task].Id);
            foreach (int dependent in plan.Graph.Dependents[task])
            {
                if (--pending[dependent] == 0)
                {
                    ready.Enqueue(dependent, rank[dependent]);
                }
            }
        }

        return order;
    }

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
