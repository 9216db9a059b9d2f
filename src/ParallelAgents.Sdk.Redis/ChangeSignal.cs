namespace ParallelAgents.Sdk.Redis;

/// <summary>
/// Wakes every watcher when a change notification arrives. A watcher takes <see cref="Current"/> before it reads the
/// change feed and waits on it only when the read found nothing, so a notification that lands between the read and the
/// wait is not lost: it has already completed the task the watcher holds.
/// </summary>
internal sealed class ChangeSignal
{
    private TaskCompletionSource _next = Create();

    /// <summary>A task that completes at the next <see cref="Pulse"/>.</summary>
    public Task Current => Volatile.Read(ref _next).Task;

    /// <summary>Completes the current task and arms a new one.</summary>
    public void Pulse() => Interlocked.Exchange(ref _next, Create()).TrySetResult();

    // Asynchronous continuations: the pulse comes from the Redis client's reader, which must not run watchers' code.
    private static TaskCompletionSource Create() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
