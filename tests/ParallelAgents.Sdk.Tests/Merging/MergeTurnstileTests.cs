namespace ParallelAgents.Sdk.Tests.Merging;

public sealed class MergeTurnstileTests
{
    [Fact]
    public async Task EnterAsync_Waiters_AreServedByPlanPositionThenPriorityThenArrival()
    {
        var turnstile = new MergeTurnstile();
        await turnstile.EnterAsync(5, TaskPriority.Low, TestContext.Current.CancellationToken);
        var order = new List<string>();
        Task Wait(string name, int position, TaskPriority priority) =>
            turnstile.EnterAsync(position, priority, TestContext.Current.CancellationToken).ContinueWith(
                _ =>
                {
                    lock (order)
                    {
                        order.Add(name);
                    }

                    turnstile.Exit();
                },
                TaskScheduler.Default);

        Task[] waiting =
        [
            Wait("late-dependent", 3, TaskPriority.High),
            Wait("low-first", 1, TaskPriority.Low),
            Wait("high-first", 1, TaskPriority.High),
            Wait("low-second", 1, TaskPriority.Low),
            Wait("dependency", 0, TaskPriority.Low),
        ];
        Assert.Equal(5, turnstile.WaitingCount);
        turnstile.Exit();
        await Task.WhenAll(waiting);

        Assert.Equal(["dependency", "high-first", "low-first", "low-second", "late-dependent"], order);
    }

    [Fact]
    public async Task EnterAsync_CancelledWaiter_IsSkipped()
    {
        var turnstile = new MergeTurnstile();
        await turnstile.EnterAsync(0, TaskPriority.Medium, TestContext.Current.CancellationToken);
        using var cancel = new CancellationTokenSource();
        Task cancelled = turnstile.EnterAsync(0, TaskPriority.High, cancel.Token);
        Task next = turnstile.EnterAsync(1, TaskPriority.Low, TestContext.Current.CancellationToken);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        turnstile.Exit();
        await next;
        turnstile.Exit();
        await turnstile.EnterAsync(0, TaskPriority.Low, TestContext.Current.CancellationToken);
    }
}
