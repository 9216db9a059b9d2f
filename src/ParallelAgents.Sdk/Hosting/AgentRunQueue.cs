using System.Threading.Channels;

namespace ParallelAgents.Sdk;

/// <summary>The container's <see cref="IAgentRunQueue"/>, read by <see cref="AgentRunService"/>.</summary>
internal sealed class AgentRunQueue(TimeProvider? timeProvider = null) : IAgentRunQueue, IDisposable
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Channel<QueuedRun> _channel = Channel.CreateUnbounded<QueuedRun>(new UnboundedChannelOptions
    {
        // Two readers: the service's loop, and the stopping host, which ends the runs still waiting.
        SingleReader = false,

        // Any thread of the application may submit.
        SingleWriter = false,

        // A submitting thread must never go on to run the service's loop (and a whole plan) inline.
        AllowSynchronousContinuations = false,
    });

    private int _pending;

    public int PendingCount => Volatile.Read(ref _pending);

    public QueuedRun Submit(TaskPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var run = new QueuedRun(AgentEngine.CreateRunId(_time), plan, _time.GetUtcNow(), cancellationToken);
        Interlocked.Increment(ref _pending);
        if (!_channel.Writer.TryWrite(run))
        {
            Interlocked.Decrement(ref _pending);
            throw new InvalidOperationException(
                "The agent run queue is closed: the host is stopping or has stopped. Submit the plan after the host starts again, or run it with AgentEngine.RunAsync.");
        }

        run.WatchCancellation();
        return run;
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    public bool TryRead(out QueuedRun run)
    {
        if (_channel.Reader.TryRead(out QueuedRun? next))
        {
            Interlocked.Decrement(ref _pending);
            run = next;
            return true;
        }

        run = null!;
        return false;
    }

    /// <summary>Refuses new plans; those already queued stay readable.</summary>
    public void Close() => _channel.Writer.TryComplete();

    /// <summary>Ends every plan still waiting as not run; returns how many.</summary>
    public int EndWaitingRuns(string why, CancellationToken cancellationToken)
    {
        int count = 0;
        while (TryRead(out QueuedRun run))
        {
            if (run.TryNotRun($"The run {run.RunId} was not started: {why} Submit the plan again to run it.", cancellationToken))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>When the container goes away, no plan may wait for ever.</summary>
    public void Dispose()
    {
        Close();
        EndWaitingRuns("the application's services were disposed while it waited in the queue.", CancellationToken.None);
    }
}
