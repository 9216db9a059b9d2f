using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace ParallelAgents.Sdk;

/// <summary>
/// Fans events out to every watcher without ever blocking the publisher: each watcher has its own bounded
/// channel that drops its oldest event when full, and the watcher is told how many it lost.
/// </summary>
internal sealed class EventHub
{
    private readonly int _capacity;
    private readonly TimeProvider _timeProvider;
    private Watcher[] _watchers = [];
    private readonly object _publishGate = new();
    private long _sequence;
    private bool _completed;

    public EventHub(int capacity, TimeProvider timeProvider)
    {
        _capacity = capacity;
        _timeProvider = timeProvider;
    }

    /// <summary>Whether anybody listens; publishers skip building events when nobody does.</summary>
    public bool HasWatchers => Volatile.Read(ref _watchers).Length != 0;

    public void Publish(AgentEvent e)
    {
        Watcher[] watchers = Volatile.Read(ref _watchers);
        if (watchers.Length == 0)
        {
            return;
        }

        // The gate keeps sequence numbers in delivery order when workers publish at once. It is held only for
        // TryWrite calls, which never wait: a full channel drops its oldest event (BoundedChannelFullMode.DropOldest).
        lock (_publishGate)
        {
            e.Sequence = ++_sequence;
            foreach (Watcher watcher in watchers)
            {
                watcher.Channel.Writer.TryWrite(e);
            }
        }
    }

    /// <summary>Registers a watcher now, so that it sees every event published after this call.</summary>
    public IAsyncEnumerable<AgentEvent> Subscribe(CancellationToken cancellationToken)
    {
        var watcher = new Watcher(_capacity);
        Update(list => [.. list, watcher]);
        if (Volatile.Read(ref _completed))
        {
            watcher.Channel.Writer.TryComplete();
        }

        return ReadAsync(watcher, cancellationToken);
    }

    /// <summary>Ends every watcher's stream, as when the engine is disposed.</summary>
    public void Complete()
    {
        Volatile.Write(ref _completed, true);
        foreach (Watcher watcher in Volatile.Read(ref _watchers))
        {
            watcher.Channel.Writer.TryComplete();
        }
    }

    private async IAsyncEnumerable<AgentEvent> ReadAsync(Watcher watcher, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            ChannelReader<AgentEvent> reader = watcher.Channel.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out AgentEvent? item))
                {
                    long dropped = Interlocked.Exchange(ref watcher.Dropped, 0);
                    if (dropped > 0)
                    {
                        yield return new AgentEvent
                        {
                            Kind = AgentEventKind.EventsDropped,
                            RunId = item.RunId,
                            Timestamp = _timeProvider.GetUtcNow(),
                            Sequence = item.Sequence - 1,
                            DroppedCount = dropped,
                            Message = $"This watcher fell behind and lost its {dropped} oldest events.",
                        };
                    }

                    yield return item;
                }
            }
        }
        finally
        {
            Update(list => Array.FindAll(list, w => w != watcher));
        }
    }

    /// <summary>Copy-on-write change of the watcher list, so that publishers read it without a lock.</summary>
    private void Update(Func<Watcher[], Watcher[]> change)
    {
        Watcher[] current = Volatile.Read(ref _watchers);
        while (true)
        {
            Watcher[] seen = Interlocked.CompareExchange(ref _watchers, change(current), current);
            if (ReferenceEquals(seen, current))
            {
                return;
            }

            current = seen;
        }
    }

    private sealed class Watcher
    {
        public long Dropped;

        public Watcher(int capacity)
        {
            Channel = System.Threading.Channels.Channel.CreateBounded<AgentEvent>(
                new BoundedChannelOptions(capacity)
                {
                    // A slow watcher must never slow the scheduler: it loses its oldest events instead.
                    FullMode = BoundedChannelFullMode.DropOldest,
                    // One enumerator reads each watcher's channel.
                    SingleReader = true,
                    // Workers on several threads publish at once.
                    SingleWriter = false,
                    // Publishers must not run a watcher's continuation inline (that would block the scheduler).
                    AllowSynchronousContinuations = false,
                },
                _ => Interlocked.Increment(ref Dropped));
        }

        public Channel<AgentEvent> Channel { get; }
    }
}
