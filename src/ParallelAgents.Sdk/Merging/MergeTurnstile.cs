namespace ParallelAgents.Sdk;

/// <summary>
/// Lets one merge run at a time. Merges that arrive while one runs wait, and the next turn goes to the lowest plan
/// position, then the highest priority, then the earliest arrival: a dependency that finishes late still merges
/// before its dependents that are already waiting.
/// </summary>
internal sealed class MergeTurnstile
{
    private readonly object _gate = new();
    private readonly PriorityQueue<TaskCompletionSource, (int Position, int Priority, long Arrival)> _waiting = new();
    private long _arrivals;
    private bool _busy;

    public int WaitingCount
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    public Task EnterAsync(int planPosition, TaskPriority priority, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TaskCompletionSource turn;
        lock (_gate)
        {
            if (!_busy)
            {
                _busy = true;
                return Task.CompletedTask;
            }

            // Continuations run asynchronously so that the merge that hands over its turn does not run the next
            // merge on its own stack.
            turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(turn, (planPosition, -(int)priority, _arrivals++));
        }

        if (cancellationToken.CanBeCanceled)
        {
            // A cancelled waiter stays in the queue; Exit skips it because its turn can no longer be set.
            CancellationTokenRegistration registration = cancellationToken.Register(() => turn.TrySetCanceled(cancellationToken));
            _ = turn.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return turn.Task;
    }

    public void Exit()
    {
        lock (_gate)
        {
            while (_waiting.TryDequeue(out TaskCompletionSource? next, out _))
            {
                if (next.TrySetResult())
                {
                    return;
                }
            }

            _busy = false;
        }
    }
}
