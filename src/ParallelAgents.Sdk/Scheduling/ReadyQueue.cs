using System.Threading.Channels;

namespace ParallelAgents.Sdk;

/// <summary>
/// The attempts that are ready to start, best first (see <see cref="PlanGraph.Rank"/>), read by the run's workers.
/// </summary>
/// <remarks>
/// <para>One short lock guards the attempts; a channel carries only wake-ups to workers that found nothing ready. A
/// worker that finds work never touches the channel, so a run whose agents complete synchronously goes from one
/// attempt to the next with at most one lock acquisition (none for attempts it took ahead, see
/// <see cref="WorkerState.Ahead"/>) and no thread-pool hop. A prioritized channel paid for an interface
/// comparer per heap step and for a waiter hand-off on most writes while a worker was idle.</para>
/// <para>Ranks are a permutation of the task indices, and almost every attempt is a task's first (lane 0, attempt 1,
/// no previous error), which its rank alone describes: those are bits in a two-level bitmap, so adding one and taking
/// the best are a few word operations however many tasks are ready (a plan of ten thousand tasks can have thousands
/// ready at its start). The other attempts (retries, further lanes) wait in a small binary heap beside it, ordered
/// by the same key.</para>
/// <para>Wake-ups are counted, not broadcast: an attempt added while workers are parked wakes exactly one of them,
/// and a token written before its worker starts waiting stays in the channel, so no wake-up is lost.</para>
/// <para>What a worker leaves waiting when it goes straight on to its next attempt does not wake a parked worker at
/// once: the worker may well get to it a few hundred nanoseconds later, and a second worker on the same short attempts
/// only makes both fight over this lock and the tasks' counters. Parked workers are woken when an attempt goes
/// asynchronous (<see cref="Return"/>: its worker is then tied to it, and gives back what it holds), when an attempt is
/// added from outside a worker (<see cref="TryAdd(WorkItem)"/>), and by a stall check: while attempts wait (in the queue
/// or held ahead by a worker) beside parked workers, a timer looks every <see cref="StallCheckPeriod"/> (a millisecond)
/// at how many attempts were taken since its last look, and wakes the parked workers when fewer than
/// <see cref="ShortAttemptsPerPeriod"/> were, one more each period, so attempts that run synchronously for long (or
/// block) still get every worker, a period or two apart; a worker that finds the queue empty takes back what others
/// hold ahead.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The stall check's timer is disposed by Complete, which ends every run.")]
internal sealed class ReadyQueue
{
#if NET9_0_OR_GREATER
    // The dedicated lock type enters and exits with less work than a monitor on an object header.
    private readonly Lock _gate = new();
#else
    private readonly object _gate = new();
#endif
    private readonly int[] _rank;
    private readonly int[] _taskAtRank;
    private readonly ulong[] _firstAttempts;
    private readonly ulong[] _nonEmptyWords;
    private readonly Channel<bool> _wakeUps;
    private Entry[] _heap;
    private int _heapCount;
    private int _count;
    private int _parked;
    private bool _completed;

    // Tasks of the run not yet ended: the queue completes when the last one ends. Counted under the lock, where a worker
    // that ended tasks passes its count along with the take of its next attempt, instead of with an interlocked
    // instruction per task.
    private int _unfinished;

    // The run's workers, whose attempts taken ahead (WorkerState.Ahead) a worker that finds the queue empty takes
    // back: a worker stuck in a long synchronous attempt must not hold the attempts it took ahead from the others.
    private WorkerState[] _workers = [];

    // The stall check: armed while attempts wait beside parked workers; _taken counts takes, its measure of progress.
    private Timer? _stallCheck;
    private bool _stallCheckArmed;
    private int _taken;
    private int _takenAtCheck;

    /// <summary>How often, by default, the stall check looks at the workers' progress while attempts wait beside
    /// parked workers.</summary>
    internal static readonly TimeSpan StallCheckPeriod = TimeSpan.FromMilliseconds(1);

    private readonly TimeSpan _stallCheckPeriod;

    /// <summary>Fewer takes than this in a <see cref="StallCheckPeriod"/> means the attempts are not short (more than
    /// some 60 microseconds each): they are worth a second worker, and parked workers are woken.</summary>
    internal const int ShortAttemptsPerPeriod = 16;

    /// <param name="rank">For each task, its place among ready tasks (lower starts first).</param>
    /// <param name="capacity">The initial size of the heap of retries and further lanes.</param>
    /// <param name="stallCheckPeriod">The stall check's period; <see cref="StallCheckPeriod"/> when <see langword="null"/>,
    /// none when infinite (tests that must see what happens without it).</param>
    /// <param name="unfinished">How many tasks must end (<see cref="TaskFinished(int)"/>) before the queue completes by
    /// itself; <see langword="null"/> for a queue that only <see cref="Complete"/> completes.</param>
    public ReadyQueue(int[] rank, int capacity, TimeSpan? stallCheckPeriod = null, int? unfinished = null)
    {
        _unfinished = unfinished ?? int.MaxValue;
        _stallCheckPeriod = stallCheckPeriod ?? StallCheckPeriod;
        _rank = rank;
        _taskAtRank = new int[rank.Length];
        for (int i = 0; i < rank.Length; i++)
        {
            _taskAtRank[rank[i]] = i;
        }

        _firstAttempts = new ulong[(rank.Length + 63) >> 6];
        _nonEmptyWords = new ulong[(_firstAttempts.Length + 63) >> 6];
        _heap = new Entry[Math.Max(4, capacity)];
        _wakeUps = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions
        {
            // Every parked worker waits on it.
            SingleReader = false,
            // Whichever worker or retry timer adds an attempt writes the wake-up.
            SingleWriter = false,
            // The writer is a worker in the middle of ending an attempt: it must go on with its own next attempt, not
            // run the woken worker's loop (and that worker's agent) inline on its own stack.
            AllowSynchronousContinuations = false,
        });
    }

    /// <summary>What <see cref="TryTake(out WorkItem)"/> found.</summary>
    public enum Take
    {
        /// <summary>An attempt was taken.</summary>
        Taken,

        /// <summary>None was ready; the caller is now parked and must <see cref="WaitAsync"/> before trying again.</summary>
        Parked,

        /// <summary>The queue is completed and empty: the worker is done.</summary>
        Completed,
    }

    /// <summary>How many attempts are waiting.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Registers the run's workers, before any of them takes an attempt (see <see cref="WorkerState.Ahead"/>).</summary>
    public void SetWorkers(WorkerState[] workers)
    {
        lock (_gate)
        {
            _workers = workers;
        }
    }

    /// <summary>How many tasks have not ended.</summary>
    public int Unfinished
    {
        get
        {
            lock (_gate)
            {
                return _unfinished;
            }
        }
    }

    /// <summary>Counts tasks that ended; the last one completes the queue (see <see cref="Complete"/>).</summary>
    public void TaskFinished(int count = 1)
    {
        int wake;
        bool completed;
        lock (_gate)
        {
            completed = AddAndCountLocked([], [], count, out wake);
        }

        if (completed)
        {
            AfterComplete(wake);
        }
    }

    /// <summary>Adds an attempt; fails only after <see cref="Complete"/>.</summary>
    public bool TryAdd(WorkItem item)
    {
        bool wake;
        lock (_gate)
        {
            if (_completed)
            {
                return false;
            }

            AddLocked(item);
            wake = _parked > 0;
            if (wake)
            {
                _parked--;
            }
        }

        if (wake)
        {
            _wakeUps.Writer.TryWrite(true);
        }

        return true;
    }

    /// <summary>Takes the best waiting attempt, or parks the caller when there is none.</summary>
    public Take TryTake(out WorkItem item)
    {
        Take take;
        bool arm;
        lock (_gate)
        {
            take = TakeLocked(out item);
            arm = ShouldArmLocked();
        }

        if (arm)
        {
            ArmStallCheck();
        }

        return take;
    }

    /// <summary>Adds the attempts a worker's last attempt released and counts the tasks it ended, then takes the best
    /// waiting attempt (which may be one of them, or one that was already waiting), under one lock acquisition instead
    /// of one per attempt and task.</summary>
    /// <param name="released">The attempts to add; emptied. Refused, as by <see cref="TryAdd(WorkItem)"/>, after
    /// <see cref="Complete"/>.</param>
    /// <param name="finished">How many tasks the worker ended since its last take (see <see cref="TaskFinished(int)"/>).</param>
    /// <param name="item">The attempt taken.</param>
    public Take TryAddAndTake(List<WorkItem> released, int finished, out WorkItem item) =>
        TryAddAndTake(released, finished, out item, worker: null, ahead: 0);

    /// <summary>As <see cref="TryAddAndTake(List{WorkItem}, int, out WorkItem)"/>, and for one of the run's workers
    /// (<see cref="SetWorkers"/>) takes up to <paramref name="ahead"/> further attempts, next best first, into its
    /// <see cref="WorkerState.Ahead"/>: it runs them one after another without coming back here while their attempts
    /// complete synchronously, and another worker that finds the queue empty can take them back.</summary>
    /// <param name="released">The attempts to add; emptied.</param>
    /// <param name="finished">How many tasks the worker ended since its last take.</param>
    /// <param name="item">The attempt taken.</param>
    /// <param name="worker">The worker; it must hold nothing ahead (see <see cref="WorkerState.ClaimAhead"/>).</param>
    /// <param name="ahead">How many further attempts to take ahead, at most <see cref="WorkerState.MaxAhead"/>.</param>
    public Take TryAddAndTake(List<WorkItem> released, int finished, out WorkItem item, WorkerState? worker, int ahead)
    {
        if (released.Count == 0 && finished == 0 && (worker is null || ahead == 0))
        {
            return TryTake(out item);
        }

        Take take;
        bool arm;
        int wake;
        bool completed;
        lock (_gate)
        {
            completed = AddAndCountLocked(released, [], finished, out wake);
            take = TakeLocked(out item);
            if (take == Take.Taken && worker is not null && ahead > 0)
            {
                // Thieves take from Ahead only under this lock, so the refill is seen whole.
                Span<WorkItem> more = worker.Ahead.AsSpan(0, ahead);
                int count = 0;
                while (count < more.Length && _count > 0)
                {
                    TakeLocked(out more[count++]);
                }

                worker.AheadCount = count;
                Volatile.Write(ref worker.AheadNext, 0);
            }

            // What this worker leaves behind wakes no one yet (see the remarks): the stall check watches it.
            arm = ShouldArmLocked();
        }

        released.Clear();
        if (completed)
        {
            AfterComplete(wake);
        }
        else if (arm)
        {
            ArmStallCheck();
        }

        return take;
    }

    /// <summary>Adds attempts (refused after <see cref="Complete"/>) and counts tasks that ended.</summary>
    /// <param name="released">Attempts to add.</param>
    /// <param name="ahead">More attempts to add.</param>
    /// <param name="finished">How many tasks ended.</param>
    /// <param name="wake">When the count completed the queue, how many parked workers to wake after the lock.</param>
    /// <returns>Whether the last unfinished task was counted, which completed the queue.</returns>
    private bool AddAndCountLocked(List<WorkItem> released, ReadOnlySpan<WorkItem> ahead, int finished, out int wake)
    {
        if (!_completed)
        {
            foreach (WorkItem added in released)
            {
                AddLocked(added);
            }

            foreach (WorkItem added in ahead)
            {
                AddLocked(added);
            }
        }

        _unfinished -= finished;
        bool completed = _unfinished == 0 && finished != 0;
        wake = completed ? CompleteLocked() : 0;
        return completed;
    }

    private Take TakeLocked(out WorkItem item)
    {
        if (_count > 0)
        {
            _count--;
            _taken++;
            int rank = LowestFirstAttempt();
            if (_heapCount == 0 || (rank >= 0 && ((long)rank << 32) < _heap[0].Key))
            {
                ClearFirstAttempt(rank);
                item = new WorkItem(_taskAtRank[rank], 0, 1, null);
            }
            else
            {
                item = Pop();
            }

            return Take.Taken;
        }

        item = default;
        if (_completed)
        {
            return Take.Completed;
        }

        if (StealLocked())
        {
            return TakeLocked(out item);
        }

        _parked++;
        return Take.Parked;
    }

    /// <summary>Takes back what the run's workers took ahead and have not started: a worker that finds the queue
    /// empty (or one the stall check woke) must not wait while another, stuck in a long attempt, holds ready attempts.</summary>
    /// <returns>Whether any attempt was taken back.</returns>
    private bool StealLocked()
    {
        bool any = false;
        foreach (WorkerState worker in _workers)
        {
            int next = Volatile.Read(ref worker.AheadNext);
            int count = worker.AheadCount;
            if (next < count && Interlocked.CompareExchange(ref worker.AheadNext, count, next) == next)
            {
                for (int i = next; i < count; i++)
                {
                    AddLocked(worker.Ahead[i]);
                }

                any = true;
            }
        }

        return any;
    }

    /// <summary>Whether a worker holds attempts it took ahead and has not started.</summary>
    private bool AnyHeldAheadLocked()
    {
        foreach (WorkerState worker in _workers)
        {
            if (Volatile.Read(ref worker.AheadNext) < worker.AheadCount)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Waits, after <see cref="TryTake(out WorkItem)"/> parked the caller, until an attempt was added or the
    /// queue completed.</summary>
    /// <remarks>Each parked worker reads one token, and each token is read by one waiting reader (waiting to read
    /// would wake every waiter for one token). The channel is never completed: <see cref="Complete"/> writes one
    /// token per parked worker instead, so no worker ends on an exception.</remarks>
    public ValueTask<bool> WaitAsync() => _wakeUps.Reader.ReadAsync(CancellationToken.None);

    /// <summary>Registers <paramref name="workers"/> that start parked: each must <see cref="WaitAsync"/> before its
    /// first <see cref="TryTake(out WorkItem)"/>.</summary>
    /// <remarks>A run starts one worker and parks the others, so that short attempts are not fought over from the
    /// start; the first attempt that goes asynchronous wakes them (see the remarks on the class).</remarks>
    public void AddParked(int workers)
    {
        bool arm;
        lock (_gate)
        {
            _parked += workers;
            arm = ShouldArmLocked();
        }

        if (arm)
        {
            ArmStallCheck();
        }
    }

    /// <summary>Gives back the attempts a worker took ahead (<see cref="TryAddAndTake(List{WorkItem}, int, out WorkItem, WorkerState?, int)"/>)
    /// or released and has not started, with the count of tasks it ended, and wakes parked workers for them: called by
    /// a worker whose attempt went asynchronous, which ties it to that attempt.</summary>
    /// <param name="released">Attempts the worker's attempts made ready; emptied.</param>
    /// <param name="ahead">Attempts the worker took ahead and has not started.</param>
    /// <param name="finished">How many tasks the worker ended since its last take.</param>
    public void Return(List<WorkItem> released, ReadOnlySpan<WorkItem> ahead, int finished)
    {
        int wake;
        bool completed;
        lock (_gate)
        {
            completed = AddAndCountLocked(released, ahead, finished, out wake);
            if (!completed)
            {
                wake = Math.Min(_parked, _count);
                _parked -= wake;
            }
        }

        released.Clear();
        if (completed)
        {
            AfterComplete(wake);
            return;
        }

        for (int i = 0; i < wake; i++)
        {
            _wakeUps.Writer.TryWrite(true);
        }
    }

    /// <summary>The order of two attempts: lower starts first.</summary>
    public long OrderOf(WorkItem item) => Key(item);

    private bool ShouldArmLocked()
    {
        if (_stallCheckArmed || _parked == 0 || _completed || _stallCheckPeriod == Timeout.InfiniteTimeSpan
            || (_count == 0 && !AnyHeldAheadLocked()))
        {
            return false;
        }

        _stallCheckArmed = true;
        _takenAtCheck = _taken;
        return true;
    }

    /// <remarks>Called only by the caller that armed the check, so one caller at a time.</remarks>
    private void ArmStallCheck()
    {
        if (_stallCheck is null)
        {
            // Made once per run, on the first wait beside a parked worker. No execution context flows into the timer:
            // it must not carry an agent's logging scope or activity. The system clock on purpose: the check is about
            // the machine's progress, and a test's fake clock that never advances must not stall a run.
            using (ExecutionContext.SuppressFlow())
            {
                _stallCheck = new Timer(static state => ((ReadyQueue)state!).CheckStall(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        _stallCheck.Change(_stallCheckPeriod, Timeout.InfiniteTimeSpan);
    }

    private void CheckStall()
    {
        int wake = 0;
        bool again = false;
        lock (_gate)
        {
            if (_completed || _parked == 0 || (_count == 0 && !AnyHeldAheadLocked()))
            {
                _stallCheckArmed = false;
            }
            else if (_taken - _takenAtCheck >= ShortAttemptsPerPeriod)
            {
                // The working workers get through the waiting attempts quickly: a second worker would only slow them.
                _takenAtCheck = _taken;
                again = true;
            }
            else
            {
                // One worker per period: a worker that is only descheduled for a while (a loaded machine) must not
                // bring every parked worker into the fight for short attempts; attempts that really are long get a
                // further worker each period while some wait.
                wake = 1;
                _parked--;
                _takenAtCheck = _taken;
                again = _parked > 0 && (_count > 1 || AnyHeldAheadLocked());
                _stallCheckArmed = again;
            }
        }

        if (again)
        {
            _stallCheck!.Change(_stallCheckPeriod, Timeout.InfiniteTimeSpan);
        }

        for (int i = 0; i < wake; i++)
        {
            _wakeUps.Writer.TryWrite(true);
        }
    }

    /// <summary>Refuses new attempts and wakes every parked worker. Attempts already waiting are still taken (a
    /// cancelled run drains them as cancelled).</summary>
    public void Complete()
    {
        int wake;
        lock (_gate)
        {
            wake = CompleteLocked();
        }

        AfterComplete(wake);
    }

    /// <returns>How many parked workers to wake, after the lock.</returns>
    private int CompleteLocked()
    {
        _completed = true;
        int wake = _parked;
        _parked = 0;
        return wake;
    }

    private void AfterComplete(int wake)
    {
        // A check that re-arms the timer after this finds it disposed, which Timer.Change reports without throwing.
        _stallCheck?.Dispose();
        for (int i = 0; i < wake; i++)
        {
            _wakeUps.Writer.TryWrite(true);
        }
    }

    private void AddLocked(WorkItem item)
    {
        if (item is { Lane: 0, Attempt: 1, PreviousError: null })
        {
            SetFirstAttempt(_rank[item.TaskIndex]);
        }
        else
        {
            Push(new Entry(Key(item), item));
        }

        _count++;
    }

    private long Key(WorkItem item) => ((long)_rank[item.TaskIndex] << 32) | (uint)item.Lane;

    private void SetFirstAttempt(int rank)
    {
        int word = rank >> 6;
        _firstAttempts[word] |= 1UL << (rank & 63);
        _nonEmptyWords[word >> 6] |= 1UL << (word & 63);
    }

    private void ClearFirstAttempt(int rank)
    {
        int word = rank >> 6;
        ulong bits = _firstAttempts[word] & ~(1UL << (rank & 63));
        _firstAttempts[word] = bits;
        if (bits == 0)
        {
            _nonEmptyWords[word >> 6] &= ~(1UL << (word & 63));
        }
    }

    /// <summary>The lowest rank with a first attempt waiting, or -1.</summary>
    private int LowestFirstAttempt()
    {
        for (int s = 0; s < _nonEmptyWords.Length; s++)
        {
            ulong summary = _nonEmptyWords[s];
            if (summary != 0)
            {
                int word = (s << 6) + System.Numerics.BitOperations.TrailingZeroCount(summary);
                return (word << 6) + System.Numerics.BitOperations.TrailingZeroCount(_firstAttempts[word]);
            }
        }

        return -1;
    }

    private void Push(Entry entry)
    {
        if (_heapCount == _heap.Length)
        {
            Array.Resize(ref _heap, _heap.Length * 2);
        }

        int i = _heapCount++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (_heap[parent].Key <= entry.Key)
            {
                break;
            }

            _heap[i] = _heap[parent];
            i = parent;
        }

        _heap[i] = entry;
    }

    private WorkItem Pop()
    {
        WorkItem top = _heap[0].Item;
        Entry last = _heap[--_heapCount];
        _heap[_heapCount] = default;
        int i = 0;
        int half = _heapCount >> 1;
        while (i < half)
        {
            int child = (2 * i) + 1;
            if (child + 1 < _heapCount && _heap[child + 1].Key < _heap[child].Key)
            {
                child++;
            }

            if (last.Key <= _heap[child].Key)
            {
                break;
            }

            _heap[i] = _heap[child];
            i = child;
        }

        if (_heapCount > 0)
        {
            _heap[i] = last;
        }

        return top;
    }

    /// <summary>An attempt with its rank and lane folded into one key, so a heap step is one comparison.</summary>
    private readonly record struct Entry(long Key, WorkItem Item);
}
