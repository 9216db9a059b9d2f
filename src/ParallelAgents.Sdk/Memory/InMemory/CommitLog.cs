using System.Numerics;
using System.Runtime.InteropServices;

namespace ParallelAgents.Sdk.InMemory;

/// <summary>
/// The global, append-only log of an <see cref="InMemorySharedMemory"/>: a ring of the latest records (each a
/// <see cref="MemoryEntry"/> or a <see cref="Tombstone"/>, which carry their sequence numbers), where the record with
/// sequence <c>s</c> sits at <c>s mod capacity</c>. Claiming that place by compare-and-swap is a write's commit.
/// </summary>
/// <remarks>
/// <para>A writer claims sequence <c>last + 1</c> by swapping its record in for the one <c>capacity</c> writes older;
/// only one writer can, and none can claim <c>last + 2</c> before, so sequence numbers have no gaps and a successful
/// claim proves no write came after <c>last</c>. A committed record becomes visible when it is applied to its key's
/// slot; every writer first applies, in order, whatever is committed but not applied yet (<see cref="CatchUp"/>), so
/// the applied records are always a prefix of the log, becoming visible one at a time, and a writer stalled between
/// its claim and its apply holds no one up.</para>
/// <para>A ring, not a linked list of nodes: one object per write instead of two, no chain from old records to new
/// ones for the garbage collector to follow (a retained linked list made its background collections cost more than
/// ten times as much), memory bounded however far a watcher falls behind, and resuming from a sequence is one
/// index.</para>
/// <para>Watchers wait on one shared <see cref="TaskCompletionSource"/> that exists only while someone waits; a writer
/// that moves <see cref="Applied"/> forward swaps it out and completes it.</para>
/// </remarks>
internal sealed class CommitLog
{
    private readonly Record[] _records;
    private readonly long _mask;
    private readonly KeyTrie _keys;

    // Every write moves it: on a cache line of its own, away from the fields every operation reads.
    private PaddedLong _applied;
    private TaskCompletionSource? _signal;
    private int _closed;

    /// <param name="retained">How many of the latest records to keep at least; rounded up to a power of two.</param>
    /// <param name="keys">Where a helper finds the slot of another writer's record.</param>
    public CommitLog(int retained, KeyTrie keys)
    {
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(retained, 2));
        _records = new Record[capacity];
        _mask = capacity - 1;
        _keys = keys;
    }

    /// <summary>How many records the ring keeps: <c>retained</c> rounded up to a power of two.</summary>
    public int Capacity => _records.Length;

    /// <summary>The sequence number of the last applied record: it and every record before it are visible in their
    /// slots.</summary>
    public long Applied => Volatile.Read(ref _applied.Value);

    /// <summary>Whether <see cref="Close"/> was called.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Applies every committed record; lock-free.</summary>
    /// <returns>The last sequence number: at the moment this returned nothing followed it, and every record up to it
    /// is applied.</returns>
    public long CatchUp()
    {
        long start = Volatile.Read(ref _applied.Value);
        long last = start;
        while (true)
        {
            long next = last + 1;
            int index = (int)(next & _mask);
            object? record = Volatile.Read(ref _records[index].Value);
            long sequence = record is null ? 0 : KeySlot.SequenceOf(record);
            if (sequence < next)
            {
                break;
            }

            // Lapped (every record before the one that took this place is applied, and Applied says so already), or
            // the record's writer has applied it by now: carry on from Applied.
            long applied = Volatile.Read(ref _applied.Value);
            if (sequence > next || applied >= next)
            {
                start = last = applied;
                continue;
            }

            // Another writer's record, committed and perhaps not applied yet (its writer is slow or was paused): finish
            // its write. Rare enough that looking the slot up beats keeping each record's slot beside it.
            _keys.Find(KeySlot.KeyOf(record!))!.Apply(record!, next);
            last = next;
        }

        if (last != start)
        {
            MoveApplied(start, last);
        }

        return last;
    }

    /// <summary>Finds the last committed sequence number without applying anything; only reads.</summary>
    public long FindLast()
    {
        long last = Volatile.Read(ref _applied.Value);
        while (Volatile.Read(ref _records[(int)((last + 1) & _mask)].Value) is { } record && KeySlot.SequenceOf(record) == last + 1)
        {
            last++;
        }

        return last;
    }

    /// <summary>Commits <paramref name="record"/>, whose sequence number must be <paramref name="last"/> + 1, and applies
    /// it to <paramref name="slot"/>.</summary>
    /// <param name="last">What <see cref="CatchUp"/> returned: every record up to it is applied.</param>
    /// <param name="record">A <see cref="MemoryEntry"/> or a <see cref="Tombstone"/>.</param>
    /// <param name="slot">The slot of the record's key.</param>
    /// <returns><see langword="false"/> if another record took that sequence number: catch up and retry.</returns>
    public bool TryAppend(long last, object record, KeySlot slot)
    {
        if (!TryClaim(last, record))
        {
            return false;
        }

        long sequence = last + 1;
        slot.Apply(record, sequence);
        MoveApplied(last, sequence);
        return true;
    }

    /// <summary>The commit alone: swaps <paramref name="record"/> into the place of sequence <paramref name="last"/> + 1
    /// if no other record has taken it. <see cref="TryAppend"/> then applies it; tests call this alone to play a writer
    /// that stalls right after its commit.</summary>
    internal bool TryClaim(long last, object record)
    {
        long sequence = last + 1;
        int index = (int)(sequence & _mask);
        object? previous = Volatile.Read(ref _records[index].Value);
        return (previous is null || KeySlot.SequenceOf(previous) < sequence)
            && ReferenceEquals(Interlocked.CompareExchange(ref _records[index].Value, record, previous), previous);
    }

    /// <summary>Reads the record with sequence <paramref name="sequence"/>.</summary>
    /// <returns>The record; <see langword="null"/> if it is not committed yet.</returns>
    /// <exception cref="ChangeFeedTruncatedException">It was overwritten: more than <see cref="Capacity"/> writes came
    /// after it.</exception>
    public object? Read(long sequence)
    {
        object? record = Volatile.Read(ref _records[(int)(sequence & _mask)].Value);
        long found = record is null ? 0 : KeySlot.SequenceOf(record);
        if (found > sequence)
        {
            throw new ChangeFeedTruncatedException(sequence - 1, OldestRetained());
        }

        return found == sequence ? record : null;
    }

    /// <summary>Whether the record with sequence <paramref name="sequence"/> was overwritten.</summary>
    public bool IsLost(long sequence) =>
        Volatile.Read(ref _records[(int)(sequence & _mask)].Value) is { } record && KeySlot.SequenceOf(record) > sequence;

    /// <summary>The oldest sequence number the ring still holds (or the next one, while it holds none).</summary>
    public long OldestRetained() => Math.Max(1, FindLast() - Capacity + 1);

    /// <summary>A task that completes once a record after <paramref name="sequence"/> is applied or the log is
    /// closed; it may also complete earlier, so the caller checks again.</summary>
    public Task WaitForChangeAfter(long sequence)
    {
        TaskCompletionSource? signal = Volatile.Read(ref _signal);
        if (signal is null)
        {
            // Continuations run on the thread pool, never on the writer that completes the signal.
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            signal = Interlocked.CompareExchange(ref _signal, created, null) ?? created;
        }

        // Pairs with the writer's compare-and-swap of _applied before it reads _signal: either the writer sees this
        // signal, or this thread sees the writer's record.
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _applied.Value) > sequence || IsClosed ? Task.CompletedTask : signal.Task;
    }

    /// <summary>Ends every watcher's wait for good.</summary>
    public void Close()
    {
        Volatile.Write(ref _closed, 1);
        Interlocked.MemoryBarrier();
        Interlocked.Exchange(ref _signal, null)?.TrySetResult();
    }

    /// <summary>Moves <see cref="Applied"/> forward to <paramref name="target"/>, every record up to which is applied;
    /// never backwards.</summary>
    private void MoveApplied(long expected, long target)
    {
        while (true)
        {
            long seen = Interlocked.CompareExchange(ref _applied.Value, target, expected);
            if (seen == expected)
            {
                WakeWatchers();
                return;
            }

            if (seen >= target)
            {
                return;
            }

            expected = seen;
        }
    }

    /// <summary>A long alone on its 64-byte cache line (with the line before and after it kept free).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct PaddedLong
    {
        [FieldOffset(64)]
        public long Value;
    }

    /// <summary>A place in the ring: a struct, so reading it by reference needs no array covariance check.</summary>
    private struct Record
    {
        public object? Value;
    }

    private void WakeWatchers()
    {
        if (Volatile.Read(ref _signal) is not null)
        {
            Interlocked.Exchange(ref _signal, null)?.TrySetResult();
        }
    }
}
