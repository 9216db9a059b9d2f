namespace ParallelAgents.Sdk;

/// <summary>What one worker of a run carries from one attempt to the next.</summary>
/// <remarks>An attempt writes <see cref="Released"/>, <see cref="Finished"/>, <see cref="Control"/>,
/// <see cref="LastWasShort"/> and its end's clock reading (<see cref="Read"/>) when it ends, on whatever thread that
/// is; the worker's loop reads them only when the attempt has ended (it awaits an attempt that goes asynchronous before
/// it takes another). Everything else is the loop's own: <see cref="Hold"/> moves what an attempt released into it, so
/// that the loop can give it back to the queue while an attempt that went asynchronous may still be writing.</remarks>
internal sealed class WorkerState
{
    /// <summary>The attempts of the dependents the worker's current attempt made ready.</summary>
    public List<WorkItem> Released { get; } = [];

    /// <summary>How many tasks the worker's current attempt ended.</summary>
    public int Finished;

    /// <summary>The attempts the worker's attempts made ready and that it has not run or given to the queue: added with
    /// the take of its next attempt, under one lock.</summary>
    public List<WorkItem> Held { get; } = [];

    /// <summary>How many tasks the worker's attempts ended since its last take; counted with that take (see
    /// <see cref="ReadyQueue.TryAddAndTake(List{WorkItem}, int, out WorkItem)"/>).</summary>
    public int HeldFinished;

    // Each held attempt's place in the queue's order, beside it, and the best one's index (-1 when none is held): a
    // worker compares the best held attempt with the next one taken ahead before every attempt it runs, and a scan of
    // every held attempt's rank each time cost more than the attempts themselves.
    private readonly List<long> _heldKeys = [];
    private int _heldBest = -1;

    /// <summary>Moves what the last attempt released and ended into <see cref="Held"/> and <see cref="HeldFinished"/>;
    /// only when no attempt of the worker is running.</summary>
    /// <param name="order">The ready queue, whose order the worker follows.</param>
    public void Hold(ReadyQueue order)
    {
        foreach (WorkItem item in Released)
        {
            AddHeld(order, item);
        }

        Released.Clear();
        HeldFinished += Finished;
        Finished = 0;
    }

    /// <summary>Holds an attempt (one the worker took ahead, to give back with the others).</summary>
    public void AddHeld(ReadyQueue order, WorkItem item)
    {
        long key = order.OrderOf(item);
        Held.Add(item);
        _heldKeys.Add(key);
        if (_heldBest < 0 || key < _heldKeys[_heldBest])
        {
            _heldBest = Held.Count - 1;
        }
    }

    /// <summary>Forgets the held attempts after the ready queue took them (it empties <see cref="Held"/>).</summary>
    public void GaveHeld()
    {
        Held.Clear();
        _heldKeys.Clear();
        _heldBest = -1;
    }

    /// <summary>The worker's latest clock reading, at the start or the end of one of its attempts.</summary>
    /// <remarks>
    /// <para>An attempt's start needs a reading at or after the end of each of its dependencies, which were read before
    /// they made it ready. A reading the worker took after the attempt became its to run (<see cref="WorkItem.ReadyAt"/>
    /// below <see cref="Readings"/>) is one: the end of the attempt before serves as the next one's start, and the clock
    /// is read once per attempt instead of twice. Attempts the worker took from the queue become its at the take; those
    /// its attempts released, at the release, or one reading earlier for a task whose only dependency is the one that
    /// ended (its start may equal that end).</para>
    /// <para>Only while the reading is recent: <see cref="ReadingIsRecent"/> is cleared when the worker waited (an
    /// attempt that went asynchronous), and the engine reuses readings only when nothing of the host's (a logger, an
    /// observer) runs between an attempt's end and the next start, so that the reused reading is older than the true
    /// start by the engine's own bookkeeping, well under a microsecond.</para>
    /// </remarks>
    public long LastReading;

    /// <summary>How many clock readings the worker has taken (wrapping; compared by difference).</summary>
    public int Readings;

    /// <summary>Whether <see cref="LastReading"/> was taken on the worker's current flow, without a wait since.</summary>
    public bool ReadingIsRecent;

    /// <summary><see cref="Readings"/> at the worker's last take from the queue: the attempts it took ahead became its then.</summary>
    public int TakenAt;

    /// <summary>Records a clock reading.</summary>
    public void Read(long timestamp)
    {
        LastReading = timestamp;
        Readings++;
        ReadingIsRecent = true;
    }

    /// <summary>Whether the attempt may start at <see cref="LastReading"/>.</summary>
    public bool CanStartAtLastReading(in WorkItem item) => ReadingIsRecent && item.ReadyAt - Readings < 0;

    /// <summary>The control source of the worker's last attempt, when nothing cancelled it and no controller reached for
    /// it: its next attempt uses it instead of making one (see <see cref="RunExecution"/>'s EndControl).</summary>
    public CancellationTokenSource? Control;

    /// <summary>The most attempts a worker takes from the ready queue at once.</summary>
    public const int MaxAhead = 16;

    /// <summary>An attempt shorter than this counts as short: after one, the worker takes more attempts at once.</summary>
    public static readonly TimeSpan ShortAttempt = TimeSpan.FromMicroseconds(50);

    /// <summary>Attempts taken from the ready queue ahead of time, the best first: taken with the worker's attempt under
    /// one lock, and run one after another while their attempts complete synchronously and are short.</summary>
    /// <remarks>Shared with the other workers: one that finds the queue empty takes back, under the queue's lock, those
    /// not yet started (<see cref="AheadNext"/> to <see cref="AheadCount"/>), so a worker stuck in a long synchronous
    /// attempt (say, one that waits for another task to start) holds none from them. The owner claims each one with an
    /// interlocked instruction on its own <see cref="AheadNext"/> before it starts it.</remarks>
    /// <remarks>Made when first needed: a worker whose attempts go asynchronous (the usual agent) never takes ahead,
    /// and a run of a thousand agents at once has a thousand workers.</remarks>
    public WorkItem[] Ahead => _ahead ??= new WorkItem[MaxAhead];

    private WorkItem[]? _ahead;

    /// <summary>The next of <see cref="Ahead"/> to run; moved on by the owner and by a thief, with interlocked
    /// instructions only.</summary>
    public int AheadNext;

    /// <summary>How many of <see cref="Ahead"/> were taken; written under the ready queue's lock.</summary>
    public int AheadCount;

    /// <summary>How many attempts the worker takes at its next take: one, doubled after each short synchronous attempt up
    /// to <see cref="MaxAhead"/>, back to one after a long or asynchronous one.</summary>
    public int Want = 1;

    /// <summary>Whether the worker's last attempt was short (see <see cref="ShortAttempt"/>).</summary>
    public bool LastWasShort;

    /// <summary>Attempts run since the worker's last take: at most twice <see cref="MaxAhead"/>, counting those its
    /// attempts released and it ran before the ones it took, before it goes back to the queue.</summary>
    public int LocalRun;

    /// <summary>Claims every attempt taken ahead that neither this worker started nor another took back, to give them
    /// back to the queue.</summary>
    public ReadOnlySpan<WorkItem> ClaimAhead()
    {
        int count = AheadCount;
        int next = Interlocked.Exchange(ref AheadNext, count);
        return next < count ? Ahead.AsSpan(next, count - next) : [];
    }

    /// <summary>The next attempt to run without going back to the ready queue: the best of the next one taken ahead and
    /// those the worker's attempts released (<see cref="Held"/>), while some taken ahead are left. A released attempt better than the
    /// next one taken ahead is better than every attempt the queue had when they were taken, so a lone worker runs
    /// attempts in the same order as when it took them one at a time.</summary>
    /// <param name="order">The ready queue's order of attempts.</param>
    /// <param name="item">The attempt to run.</param>
    /// <returns><see langword="false"/> when the worker must go back to the ready queue.</returns>
    public bool TryNextLocal(ReadyQueue order, out WorkItem item)
    {
        int next = Volatile.Read(ref AheadNext);
        if (next >= AheadCount || LocalRun >= 2 * MaxAhead)
        {
            item = default;
            return false;
        }

        item = Ahead[next] with { ReadyAt = TakenAt };
        if (_heldBest >= 0 && _heldKeys[_heldBest] < order.OrderOf(item))
        {
            item = Held[_heldBest];
            RemoveHeld(_heldBest);
        }
        else if (Interlocked.CompareExchange(ref AheadNext, next + 1, next) != next)
        {
            // Another worker took back what was left: go to the queue.
            item = default;
            return false;
        }

        LocalRun++;
        return true;
    }

    /// <summary>The best of <see cref="Held"/> in the queue's order, if it holds any.</summary>
    public bool TryBestHeld(out WorkItem best)
    {
        best = _heldBest >= 0 ? Held[_heldBest] : default;
        return _heldBest >= 0;
    }

    private void RemoveHeld(int index)
    {
        int last = Held.Count - 1;
        Held[index] = Held[last];
        _heldKeys[index] = _heldKeys[last];
        Held.RemoveAt(last);
        _heldKeys.RemoveAt(last);
        _heldBest = -1;
        for (int i = 0; i < _heldKeys.Count; i++)
        {
            if (_heldBest < 0 || _heldKeys[i] < _heldKeys[_heldBest])
            {
                _heldBest = i;
            }
        }
    }

    /// <summary>Takes the reusable control source, if there is one.</summary>
    public CancellationTokenSource? TakeControl()
    {
        CancellationTokenSource? control = Control;
        Control = null;
        return control;
    }
}
