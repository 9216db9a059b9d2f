namespace ParallelAgents.Sdk;

/// <summary>The latest committed changes, kept for watchers to read and resume from, and a signal for new ones.</summary>
/// <remarks>One writer appends (the file store's writer loop); any number of watchers read. A lock keeps the ring and
/// its bounds consistent: the file store serializes writes anyway, and a watcher holds the lock only to copy.</remarks>
internal sealed class ChangeLog
{
    private readonly object _gate = new();
    private readonly MemoryChange[] _ring;
    private long _floor;
    private long _last;
    private bool _closed;
    private TaskCompletionSource _appended = NewSignal();

    /// <summary>Creates the log.</summary>
    /// <param name="capacity">How many of the latest changes are kept.</param>
    /// <param name="sequence">The store's sequence now: changes after it are appended.</param>
    /// <param name="recovered">Changes up to <paramref name="sequence"/> recovered from the journal, consecutive, the last one
    /// at <paramref name="sequence"/>; watchers may resume from them.</param>
    public ChangeLog(int capacity, long sequence, IReadOnlyList<MemoryChange> recovered)
    {
        _ring = new MemoryChange[capacity];
        _last = sequence;
        _floor = sequence;
        int skip = Math.Max(0, recovered.Count - capacity);
        for (int i = skip; i < recovered.Count; i++)
        {
            _ring[recovered[i].Sequence % capacity] = recovered[i];
        }

        if (recovered.Count - skip > 0)
        {
            _floor = recovered[skip].Sequence - 1;
        }
    }

    /// <summary>The sequence after which changes are no longer kept: the oldest kept is one more.</summary>
    private long Floor => Math.Max(_floor, _last - _ring.Length);

    /// <summary>Appends committed changes, in sequence order, and wakes the watchers.</summary>
    public void Append(List<MemoryChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        TaskCompletionSource signal;
        lock (_gate)
        {
            foreach (MemoryChange change in changes)
            {
                _ring[change.Sequence % _ring.Length] = change;
            }

            _last = changes[^1].Sequence;
            signal = _appended;
            _appended = NewSignal();
        }

        signal.TrySetResult();
    }

    /// <summary>Ends every watch: the store is closing.</summary>
    public void Close()
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            _closed = true;
            signal = _appended;
        }

        signal.TrySetResult();
    }

    /// <summary>The sequence of the last change.</summary>
    public long Last
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    /// <summary>Copies up to <paramref name="max"/> changes after <paramref name="after"/> into <paramref name="into"/>.</summary>
    /// <returns>When none were copied: a task that completes when there may be more (or the log closes); else null.</returns>
    /// <exception cref="ChangeFeedTruncatedException">The change after <paramref name="after"/> is no longer kept.</exception>
    public Task? Read(long after, List<MemoryChange> into, int max, out bool closed)
    {
        lock (_gate)
        {
            closed = _closed;
            if (after >= _last)
            {
                return closed ? null : _appended.Task;
            }

            long floor = Floor;
            if (after < floor)
            {
                throw new ChangeFeedTruncatedException(after, floor + 1);
            }

            long end = Math.Min(_last, after + max);
            for (long s = after + 1; s <= end; s++)
            {
                into.Add(_ring[s % _ring.Length]);
            }

            return null;
        }
    }

    private static TaskCompletionSource NewSignal() =>
        // Watchers continue on the thread pool, never inside Append on the writer loop.
        new(TaskCreationOptions.RunContinuationsAsynchronously);
}
