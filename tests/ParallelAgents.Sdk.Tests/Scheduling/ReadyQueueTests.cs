namespace ParallelAgents.Sdk.Tests.Scheduling;

public class ReadyQueueTests
{
    // Rank of task i; lower starts first. Task 2 is the best, task 0 the worst.
    private static readonly int[] Rank = [2, 1, 0];

    [Fact]
    public void TryTake_SeveralWaiting_TakesLowestRankThenLowestLane()
    {
        var queue = new ReadyQueue(Rank, capacity: 1);
        queue.TryAdd(new WorkItem(0, 0, 1, null));
        queue.TryAdd(new WorkItem(1, 1, 1, null));
        queue.TryAdd(new WorkItem(2, 0, 1, null));
        queue.TryAdd(new WorkItem(1, 0, 1, null));
        queue.TryAdd(new WorkItem(0, 1, 2, "before"));

        var taken = new List<(int, int)>();
        while (queue.TryTake(out WorkItem item) == ReadyQueue.Take.Taken)
        {
            taken.Add((item.TaskIndex, item.Lane));
        }

        Assert.Equal([(2, 0), (1, 0), (1, 1), (0, 0), (0, 1)], taken);
    }

    [Fact]
    public void TryTake_RetriesBesideFirstAttempts_TakesByRankWhateverTheAttempt()
    {
        // First attempts and retries are kept apart inside the queue; the order between them is still by rank.
        var queue = new ReadyQueue(Rank, capacity: 1);
        queue.TryAdd(new WorkItem(1, 0, 1, null));
        queue.TryAdd(new WorkItem(2, 0, 3, "flaky"));
        queue.TryAdd(new WorkItem(0, 0, 2, "flaky"));

        Assert.Equal(ReadyQueue.Take.Taken, queue.TryTake(out WorkItem first));
        Assert.Equal(ReadyQueue.Take.Taken, queue.TryTake(out WorkItem second));
        Assert.Equal(ReadyQueue.Take.Taken, queue.TryTake(out WorkItem third));

        Assert.Equal(new WorkItem(2, 0, 3, "flaky"), first);
        Assert.Equal(new WorkItem(1, 0, 1, null), second);
        Assert.Equal(new WorkItem(0, 0, 2, "flaky"), third);
        Assert.Equal(ReadyQueue.Take.Parked, queue.TryTake(out _));
    }

    [Fact]
    public async Task WaitAsync_ParkedWorker_WakesWhenAnAttemptIsAdded()
    {
        var queue = new ReadyQueue(Rank, capacity: 4);
        Assert.Equal(ReadyQueue.Take.Parked, queue.TryTake(out _));
        Task<bool> wait = queue.WaitAsync().AsTask();
        Assert.False(wait.IsCompleted);

        Assert.True(queue.TryAdd(new WorkItem(1, 0, 1, null)));
        await wait;

        Assert.Equal(ReadyQueue.Take.Taken, queue.TryTake(out WorkItem item));
        Assert.Equal(1, item.TaskIndex);
    }

    [Fact]
    public async Task WaitAsync_AddedBeforeTheParkedWorkerWaits_DoesNotLoseTheWakeUp()
    {
        var queue = new ReadyQueue(Rank, capacity: 4);
        Assert.Equal(ReadyQueue.Take.Parked, queue.TryTake(out _));
        queue.TryAdd(new WorkItem(0, 0, 1, null));

        Task<bool> wait = queue.WaitAsync().AsTask();

        Assert.True(wait.IsCompleted);
        await wait;
    }

    [Fact]
    public async Task TryAdd_TwoParkedWorkers_WakesOnlyOne()
    {
        var queue = new ReadyQueue(Rank, capacity: 4);
        Assert.Equal(ReadyQueue.Take.Parked, queue.TryTake(out _));
        Assert.Equal(ReadyQueue.Take.Parked, queue.TryTake(out _));
        Task first = queue.WaitAsync().AsTask();
        Task second = queue.WaitAsync().AsTask();

        queue.TryAdd(new WorkItem(0, 0, 1, null));
        Task woken = await Task.WhenAny(first, second);

        // One attempt, one wake-up: the other worker stays parked until there is more work or the queue completes.
        Task stillParked = woken == first ? second : first;
        Assert.False(stillParked.IsCompleted);
        queue.Complete();
        await stillParked;
    }

    [Fact]
    public async Task TryAddAndTake_AttemptLeftBesideAParkedWorker_WakesItOnlyWhenAnAttemptGoesAsynchronous()
    {
        // Without the stall check, what a worker leaves waiting wakes no one until its attempt goes asynchronous.
        var queue = new ReadyQueue(Rank, capacity: 4, stallCheckPeriod: Timeout.InfiniteTimeSpan);
        queue.AddParked(1);
        Task<bool> parked = queue.WaitAsync().AsTask();

        List<WorkItem> released = [new WorkItem(0, 0, 1, null), new WorkItem(2, 0, 1, null)];
        Assert.Equal(ReadyQueue.Take.Taken, queue.TryAddAndTake(released, 0, out WorkItem taken));
        Assert.Equal(2, taken.TaskIndex);
        Assert.False(parked.IsCompleted);

        queue.Return([], [], finished: 0);
        await parked;
        Assert.Equal(ReadyQueue.Take.Taken, queue.TryTake(out WorkItem left));
        Assert.Equal(0, left.TaskIndex);
    }

    [Fact]
    public async Task StallCheck_NothingTakenWhileAttemptsWait_WakesTheParkedWorkersOneAtATime()
    {
        // The working worker is stuck in a long synchronous attempt: it takes nothing, so the check wakes the others.
        var queue = new ReadyQueue([0, 1, 2, 3], capacity: 4);
        queue.AddParked(2);
        Task<bool> first = queue.WaitAsync().AsTask();
        Task<bool> second = queue.WaitAsync().AsTask();

        List<WorkItem> released = [new WorkItem(0, 0, 1, null), new WorkItem(1, 0, 1, null), new WorkItem(2, 0, 1, null)];
        Assert.Equal(ReadyQueue.Take.Taken, queue.TryAddAndTake(released, 0, out _));

        await first;
        await second;
        Assert.Equal(2, queue.Count);
        queue.Complete();
    }

    [Fact]
    public void Complete_AttemptsWaiting_AreStillTakenThenCompletedAndNewOnesRefused()
    {
        var queue = new ReadyQueue(Rank, capacity: 4);
        queue.TryAdd(new WorkItem(0, 0, 1, null));

        queue.Complete();

        Assert.False(queue.TryAdd(new WorkItem(1, 0, 1, null)));
        Assert.Equal(ReadyQueue.Take.Taken, queue.TryTake(out WorkItem item));
        Assert.Equal(0, item.TaskIndex);
        Assert.Equal(ReadyQueue.Take.Completed, queue.TryTake(out _));
    }

    [Fact]
    public void TryAdd_MoreThanCapacity_Grows()
    {
        int[] rank = [.. Enumerable.Range(0, 100).Reverse()];
        var queue = new ReadyQueue(rank, capacity: 4);
        for (int i = 0; i < 100; i++)
        {
            queue.TryAdd(new WorkItem(i, 0, 1, null));
        }

        Assert.Equal(100, queue.Count);
        for (int i = 99; i >= 0; i--)
        {
            Assert.Equal(ReadyQueue.Take.Taken, queue.TryTake(out WorkItem item));
            Assert.Equal(i, item.TaskIndex);
        }
    }

    [Fact]
    public async Task TaskFinished_LastUnfinishedTask_CompletesTheQueueAndWakesParkedWorkers()
    {
        var queue = new ReadyQueue(Rank, capacity: 4, stallCheckPeriod: Timeout.InfiniteTimeSpan, unfinished: 2);
        queue.AddParked(1);
        Task<bool> parked = queue.WaitAsync().AsTask();

        queue.TaskFinished();
        Assert.Equal(1, queue.Unfinished);
        Assert.False(parked.IsCompleted);
        Assert.True(queue.TryAdd(new WorkItem(0, 0, 1, null)));
        await parked;
        Assert.Equal(ReadyQueue.Take.Taken, queue.TryTake(out _));

        // The worker that ended the last task counts it with its next take, which finds the queue completed.
        Assert.Equal(ReadyQueue.Take.Completed, queue.TryAddAndTake([], 1, out _));
        Assert.Equal(0, queue.Unfinished);
        Assert.False(queue.TryAdd(new WorkItem(1, 0, 1, null)));
    }

    [Fact]
    public void TryAddAndTake_WithRoomAhead_TakesTheNextBestAttemptsInOrder()
    {
        var queue = new ReadyQueue([4, 3, 2, 1, 0], capacity: 4);
        var worker = new WorkerState();
        queue.SetWorkers([worker]);
        List<WorkItem> released = [new WorkItem(0, 0, 1, null), new WorkItem(1, 0, 1, null), new WorkItem(2, 0, 1, null), new WorkItem(3, 0, 1, null)];

        Assert.Equal(ReadyQueue.Take.Taken, queue.TryAddAndTake(released, 0, out WorkItem taken, worker, ahead: 2));

        Assert.Equal(3, taken.TaskIndex);
        Assert.Equal([2, 1], worker.ClaimAhead().ToArray().Select(a => a.TaskIndex));
        Assert.Equal(1, queue.Count);
        Assert.Empty(released);
    }

    [Fact]
    public void TryTake_QueueEmptyWhileAnotherWorkerHoldsAttemptsAhead_TakesThemBack()
    {
        var queue = new ReadyQueue([4, 3, 2, 1, 0], capacity: 4, stallCheckPeriod: Timeout.InfiniteTimeSpan);
        var holder = new WorkerState();
        queue.SetWorkers([holder, new WorkerState()]);
        List<WorkItem> released = [new WorkItem(0, 0, 1, null), new WorkItem(1, 0, 1, null), new WorkItem(2, 0, 1, null)];
        Assert.Equal(ReadyQueue.Take.Taken, queue.TryAddAndTake(released, 0, out _, holder, ahead: 2));
        Assert.Equal(0, queue.Count);

        // The holder is stuck in its attempt; another worker finds the queue empty and takes its attempts back, best first.
        Assert.Equal(ReadyQueue.Take.Taken, queue.TryTake(out WorkItem stolen));
        Assert.Equal(1, stolen.TaskIndex);
        Assert.Equal(ReadyQueue.Take.Taken, queue.TryTake(out WorkItem next));
        Assert.Equal(0, next.TaskIndex);

        // The holder then finds nothing left to run of what it took.
        Assert.False(holder.TryNextLocal(queue, out _));
        Assert.True(holder.ClaimAhead().IsEmpty);
    }

    [Fact]
    public async Task Return_AttemptsHeldByAWorkerThatWentAsynchronous_GoBackAndWakeParkedWorkers()
    {
        var queue = new ReadyQueue(Rank, capacity: 4, stallCheckPeriod: Timeout.InfiniteTimeSpan, unfinished: 3);
        queue.AddParked(2);
        Task<bool> first = queue.WaitAsync().AsTask();
        Task<bool> second = queue.WaitAsync().AsTask();

        queue.Return([new WorkItem(0, 0, 1, null)], [new WorkItem(1, 0, 1, null)], finished: 1);

        // Two attempts back, two workers woken, and the ended task counted.
        await first;
        await second;
        Assert.Equal(2, queue.Count);
        Assert.Equal(2, queue.Unfinished);
    }
}
