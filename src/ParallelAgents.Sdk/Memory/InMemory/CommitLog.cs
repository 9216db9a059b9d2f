using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace ParallelAgents.Sdk.InMemory;

/// <summary>
/// The global, append-only log of an <see cref="InMemorySharedMemory"/>: a ring of the latest records (each a
/// <see cref="MemoryEntry"/> or a <see cref="Tombstone"/>, which carry their sequence numbers), where the record with
/// sequence <c>s</c> sits at place <c>s mod capacity</c>. Claiming that place by compare-and-swap is a write's commit.
/// </summary>
/// <remarks>
/// <para>A writer claims sequence <c>last + 1</c> by swapping its record in for what the place held for the sequence
/// <c>capacity</c> writes older; only one writer can, and none can claim <c>last + 2</c> before, so sequence numbers have
/// no gaps and a successful claim proves no write came after <c>last</c>. A committed record becomes visible when it is
/// applied to its key's slot; then its place is marked applied. A writer first makes sure every committed record is
/// applied, applying any that is not (<see cref="CatchUp()"/>), so records become visible in sequence order, one at a
/// time, and a writer stalled between its claim and its apply holds no one up.</para>
/// <para>A ring of structs: once applied, a record's data (key, value, author, time) is copied into its place and the
/// record object is swapped out for the lap's <see cref="LapToken"/>, so the ring holds no object per write. A record
/// left in the ring for a whole lap outlives the young generation, and the garbage collector then copies every write
/// twice and keeps a growing old generation to sweep; as it is, an entry dies young unless its caller or its key
/// keeps it. The copy is guarded like a sequence lock: <see cref="Place.Data"/> is <c>-s</c> while the data of
/// <c>s</c> is being written and <c>s</c> once it is whole; whoever swaps it to <c>-s</c> (the record's writer, or a
/// helper) alone writes the fields, and a reader checks it before and after reading them. Taking the copy over also
/// marks the record applied; when another copier still holds the place (one paused for a whole lap),
/// <see cref="Place.Applied"/> marks it instead and the record stays in the ring as an object until the next lap.</para>
/// <para>The one shared counter, <see cref="AppliedHint"/>, moves only every <see cref="HintInterval"/> writes, and each
/// thread remembers where it caught up last, so a write on a busy multi-core machine moves about one contended cache
/// line. The race between writers is kept short: the catch-up hands the writer what the free place holds, the writer
/// reads its key's state and numbers an entry it made beforehand, and the compare-and-swap follows; the copy and the
/// swap for the token come after the record is marked applied, when the next writer no longer waits for them.</para>
/// <para>Watchers wait on one shared <see cref="TaskCompletionSource"/> that exists only while someone waits; a writer
/// that marks a record applied swaps it out and completes it.</para>
/// </remarks>
internal sealed class CommitLog
{
    /// <summary>How often, in sequence numbers, <see cref="AppliedHint"/> is moved forward.</summary>
    internal const int HintInterval = 32;

    private static long s_lastId;

    // Where this thread last knew every record was applied: the next catch-up starts there.
    [ThreadStatic]
    private static Cursor t_cursor;

    private readonly long _id = Interlocked.Increment(ref s_lastId);
    private readonly Place[] _places;

    // The copies apart from the places: a writer copies its record after marking it applied, when the next writer
    // may already be working on the next place, and these stores then stay off the cache line they share.
    private readonly Copy[] _copies;
    private readonly long _mask;
    private readonly int _lapShift;
    private readonly KeyTrie _keys;

    // Changes once a lap; read by every write, so kept apart from the counters below.
    private LapToken _token = new(0);

    // On a cache line of its own, away from the fields every operation reads.
    private PaddedLong _appliedHint;
    private TaskCompletionSource? _signal;
    private int _closed;

    /// <summary>Called by a writer between its commit and the rest of its write, with the record: tests pause a writer
    /// there to show that no one else waits for it. <see langword="null"/> outside tests; one field read per write.</summary>
    internal Action<object>? AfterCommit { get; set; }

    /// <summary>Called by the thread that took a place's copy, before it writes it, with the sequence number: tests pause
    /// a copier there for whole laps of the ring. <see langword="null"/> outside tests; one field read per write.</summary>
    internal Action<long>? WhileCopying { get; set; }

    /// <param name="retained">How many of the latest records to keep at least; rounded up to a power of two.</param>
    /// <param name="keys">Where a helper finds the slot of another writer's record.</param>
    public CommitLog(int retained, KeyTrie keys)
    {
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(retained, 2));
        _places = new Place[capacity];
        _copies = new Copy[capacity];
        _mask = capacity - 1;
        _lapShift = BitOperations.Log2((uint)capacity);
        _keys = keys;
    }

    /// <summary>How many records the ring keeps: <c>retained</c> rounded up to a power of two.</summary>
    public int Capacity => _places.Length;

    /// <summary>A sequence number up to which every record is applied: cheap, and at most a few dozen behind.</summary>
    public long AppliedHint => Volatile.Read(ref _appliedHint.Value);

    /// <summary>Whether <see cref="Close"/> was called.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Applies every committed record; lock-free.</summary>
    /// <returns>The last sequence number: at the moment this returned nothing followed it, and every record up to it
    /// is applied.</returns>
    public long CatchUp() => CatchUp(out _);

    /// <summary>Applies every committed record; lock-free.</summary>
    /// <param name="successor">What the place of the next sequence number held when it was found free: an older
    /// lap's record or token, or <see langword="null"/>. Claiming that place swaps it out, so the claim needs no second
    /// look.</param>
    /// <returns>The last sequence number: at the moment this returned nothing followed it, and every record up to it
    /// is applied.</returns>
    public long CatchUp(out object? successor)
    {
        long last = Start();
        while (true)
        {
            long next = last + 1;
            ref Place place = ref _places[(int)(next & _mask)];

            // The marks first, on the line the record's reference is on: a record another core wrote and applied is
            // passed without reading the record itself, which would be one more cache line to fetch from that core.
            long applied = AppliedAt(ref place);
            if (applied >= next)
            {
                // Applied; and if later than 'next' (a lap), whoever claimed it had made sure every record before
                // it was applied.
                last = applied;
                continue;
            }

            object? record = Volatile.Read(ref place.Record);
            long sequence = record is null ? 0 : SequenceAt(record, next);
            if (sequence < next)
            {
                successor = record;
                break;
            }

            if (sequence > next || record is LapToken)
            {
                // A token is swapped in only after its record was applied; a later lap's record was claimed only once
                // every record before it was applied.
                last = record is LapToken ? sequence : sequence - 1;
                continue;
            }

            // Committed and not applied yet: its writer is slow or was paused. Finish its write; rare enough that
            // looking the slot up beats keeping each record's slot beside it.
            _keys.Find(KeySlot.KeyOf(record!))!.Apply(record!, next);
            Complete(ref place, record!, next);
            last = next;
        }

        Remember(last);
        return last;
    }

    /// <summary>The sequence number up to which every record is applied, exactly, at the moment it looked.</summary>
    public long FindApplied()
    {
        long last = Start();
        while (true)
        {
            long next = last + 1;
            if (AppliedAt(ref _places[(int)(next & _mask)]) < next)
            {
                return last;
            }

            last = next;
        }
    }

    /// <summary>Finds the last committed sequence number without applying anything; only reads.</summary>
    public long FindLast()
    {
        long last = Start();
        while (Volatile.Read(ref _places[(int)((last + 1) & _mask)].Record) is { } record && SequenceAt(record, last + 1) >= last + 1)
        {
            // A lap means more came after; its claimer saw everything before it committed.
            last = SequenceAt(record, last + 1);
        }

        return last;
    }

    /// <summary>Commits <paramref name="record"/>, whose sequence number must be <paramref name="last"/> + 1, and applies
    /// it to <paramref name="slot"/>.</summary>
    /// <param name="last">What <see cref="CatchUp()"/> returned: every record up to it is applied.</param>
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
        Complete(ref _places[(int)(sequence & _mask)], record, sequence);
        Remember(sequence);
        if (sequence % HintInterval == 0)
        {
            MoveHint(sequence);
        }

        return true;
    }

    /// <summary>The write path's commit: as <see cref="TryAppend(long, object, KeySlot)"/>, with what the writer saw
    /// after <see cref="CatchUp(out object?)"/>, so that between that look and the compare-and-swap that commits there
    /// is nothing left to read, allocate or compute, and a record another core is writing meanwhile is not fetched.</summary>
    /// <param name="last">What <see cref="CatchUp(out object?)"/> returned.</param>
    /// <param name="successor">What it gave as the successor: the place must still hold it.</param>
    /// <param name="record">A <see cref="MemoryEntry"/> or a <see cref="Tombstone"/> with sequence number
    /// <paramref name="last"/> + 1.</param>
    /// <param name="slot">The slot of the record's key.</param>
    /// <param name="state">The slot's state, read after <see cref="CatchUp(out object?)"/> returned: its state as of
    /// <paramref name="last"/> if this commits.</param>
    /// <returns><see langword="false"/> if another record took that sequence number: catch up and retry.</returns>
    public bool TryAppend(long last, object? successor, object record, KeySlot slot, object? state)
    {
        long sequence = last + 1;
        ref Place place = ref _places[(int)(sequence & _mask)];

        // A place holds null only before its first record, and never the same record or token twice: if it still
        // holds the successor, no record took this sequence number (and none could take a later one before it).
        if (!ReferenceEquals(Interlocked.CompareExchange(ref place.Record, record, successor), successor))
        {
            return false;
        }

        AfterCommit?.Invoke(record);
        slot.ApplyCommitted(state, record);
        Complete(ref place, record, sequence);
        Remember(sequence);
        if (sequence % HintInterval == 0)
        {
            MoveHint(sequence);
        }

        return true;
    }

    /// <summary>The commit alone: swaps <paramref name="record"/> into the place of sequence <paramref name="last"/> + 1
    /// if no other record has taken it. <see cref="TryAppend(long, object, KeySlot)"/> then applies it; tests call this
    /// alone to play a writer that stalls right after its commit.</summary>
    internal bool TryClaim(long last, object record)
    {
        long sequence = last + 1;
        ref object? place = ref _places[(int)(sequence & _mask)].Record;
        object? previous = Volatile.Read(ref place);
        return (previous is null || SequenceAt(previous, sequence) < sequence)
            && ReferenceEquals(Interlocked.CompareExchange(ref place, record, previous), previous);
    }

    /// <summary>Reads the committed record with sequence <paramref name="sequence"/>.</summary>
    /// <returns>The record (the writer's own object while it is in the ring, else an equal one made from the place's
    /// copy); <see langword="null"/> if it is not committed yet.</returns>
    /// <exception cref="ChangeFeedTruncatedException">It was overwritten: more than <see cref="Capacity"/> writes came
    /// after it.</exception>
    public object? ReadCommitted(long sequence) => Read(ref _places[(int)(sequence & _mask)], sequence);

    /// <summary>Reads the record with sequence <paramref name="sequence"/>, if it is applied.</summary>
    /// <returns>The record, as <see cref="ReadCommitted"/> gives it; <see langword="null"/> if it is not applied yet.</returns>
    /// <exception cref="ChangeFeedTruncatedException">It was overwritten: more than <see cref="Capacity"/> writes came
    /// after it.</exception>
    public object? ReadApplied(long sequence)
    {
        ref Place place = ref _places[(int)(sequence & _mask)];
        if (AppliedAt(ref place) < sequence)
        {
            return null;
        }

        // Applied, so committed: a miss means a later lap took the place.
        return Read(ref place, sequence) ?? throw Truncated(sequence);
    }

    /// <summary>Whether the record with sequence <paramref name="sequence"/> was overwritten.</summary>
    public bool IsLost(long sequence) =>
        Volatile.Read(ref _places[(int)(sequence & _mask)].Record) is { } record && SequenceAt(record, sequence) > sequence;

    /// <summary>The oldest sequence number the ring still holds (or the next one, while it holds none).</summary>
    public long OldestRetained() => Math.Max(1, FindLast() - Capacity + 1);

    /// <summary>A task that completes once the record after <paramref name="sequence"/> is applied or the log is
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

        // Pairs with the writer's compare-and-swap of the applied mark before it reads _signal: either the writer sees
        // this signal, or this thread sees the mark.
        Interlocked.MemoryBarrier();
        long next = sequence + 1;
        return AppliedAt(ref _places[(int)(next & _mask)]) >= next || IsClosed ? Task.CompletedTask : signal.Task;
    }

    /// <summary>Ends every watcher's wait for good.</summary>
    public void Close()
    {
        Volatile.Write(ref _closed, 1);
        Interlocked.MemoryBarrier();
        Interlocked.Exchange(ref _signal, null)?.TrySetResult();
    }

    /// <summary>The highest sequence number the place's marks say is applied (every record before it is, too).</summary>
    /// <remarks>A copier takes <see cref="Place.Data"/> only after applying the record, so either sign of it counts.</remarks>
    private static long AppliedAt(ref Place place) =>
        Math.Max(Math.Abs(Volatile.Read(ref place.Data)), Volatile.Read(ref place.Applied));

    /// <summary>The sequence number of what a place holds: a record's own, or a token's for the place of
    /// <paramref name="anySequenceOfThePlace"/>.</summary>
    private long SequenceAt(object held, long anySequenceOfThePlace) => held is LapToken token
        ? (token.Lap << _lapShift) | (anySequenceOfThePlace & _mask)
        : KeySlot.SequenceOf(held);

    private ChangeFeedTruncatedException Truncated(long sequence) => new(sequence - 1, OldestRetained());

    private object? Read(ref Place place, long sequence)
    {
        object? held = Volatile.Read(ref place.Record);
        long found = held is null ? 0 : SequenceAt(held, sequence);
        if (found > sequence)
        {
            throw Truncated(sequence);
        }

        if (found < sequence)
        {
            return null;
        }

        if (held is not LapToken)
        {
            return held;
        }

        // The token went in after the data of 'sequence' was whole; the data changes only once the next lap's record
        // is committed, and then its copier marks it first: a mark unchanged across the read proves the fields whole.
        ref Copy copy = ref _copies[(int)(sequence & _mask)];
        long before = Volatile.Read(ref place.Data);
        string? key = Volatile.Read(ref copy.Key);
        string? author = Volatile.Read(ref copy.Author);
        JsonElement value = copy.Value;
        DateTimeOffset timestamp = copy.Timestamp;
        Interlocked.MemoryBarrier();
        if (before != sequence || Volatile.Read(ref place.Data) != sequence)
        {
            throw Truncated(sequence);
        }

        return value.ValueKind == JsonValueKind.Undefined
            ? new Tombstone(sequence, key!, author!, timestamp)
            : new MemoryEntry(key!, value, sequence, author!, timestamp);
    }

    /// <summary>Marks <paramref name="record"/>, committed at <paramref name="sequence"/> and applied to its slot,
    /// applied; then copies its data into the place and swaps the record out for the lap's token.</summary>
    private void Complete(ref Place place, object record, long sequence)
    {
        long data = Volatile.Read(ref place.Data);
        while (true)
        {
            if (Math.Abs(data) >= sequence)
            {
                // Another copier has it (so it is marked applied), or a later lap does.
                return;
            }

            if (data < 0)
            {
                // A copier of an older lap is still writing (paused for a whole lap): mark it applied the other way,
                // and leave the record in the ring as it is.
                MarkApplied(ref place, sequence);
                return;
            }

            long seen = Interlocked.CompareExchange(ref place.Data, -sequence, data);
            if (seen == data)
            {
                break;
            }

            data = seen;
        }

        WakeWatchers();
        WhileCopying?.Invoke(sequence);
        ref Copy copy = ref _copies[(int)(sequence & _mask)];
        if (record is MemoryEntry entry)
        {
            copy.Key = entry.Key;
            copy.Author = entry.Author;
            copy.Value = entry.Value;
            copy.Timestamp = entry.Timestamp;
        }
        else
        {
            var tombstone = (Tombstone)record;
            copy.Key = tombstone.Key;
            copy.Author = tombstone.Author;
            copy.Value = default;
            copy.Timestamp = tombstone.Timestamp;
        }

        Volatile.Write(ref place.Data, sequence);

        // Fails if a later lap has claimed the place already: then this record is out of the ring anyway.
        Interlocked.CompareExchange(ref place.Record, TokenOf(sequence), record);
    }

    private LapToken TokenOf(long sequence)
    {
        long lap = sequence >> _lapShift;
        LapToken token = Volatile.Read(ref _token);
        return token.Lap == lap ? token : NewToken(lap);
    }

    /// <summary>Once a lap: any token of the right lap will do (a place takes one token per lap), so the shared one
    /// only saves allocations.</summary>
    private LapToken NewToken(long lap)
    {
        var created = new LapToken(lap);
        LapToken seen = Volatile.Read(ref _token);
        while (seen.Lap < lap)
        {
            LapToken previous = Interlocked.CompareExchange(ref _token, created, seen);
            if (ReferenceEquals(previous, seen))
            {
                break;
            }

            seen = previous;
        }

        return created;
    }

    private long Start()
    {
        long hint = Volatile.Read(ref _appliedHint.Value);

        // One reference to the thread's storage: each access to a thread-static costs a lookup of it.
        ref Cursor cursor = ref t_cursor;
        return cursor.LogId == _id && cursor.Position > hint ? cursor.Position : hint;
    }

    private void Remember(long applied)
    {
        ref Cursor cursor = ref t_cursor;
        cursor.LogId = _id;
        cursor.Position = applied;
    }

    /// <summary>Marks the place applied for <paramref name="sequence"/>, unless a later lap already did.</summary>
    private void MarkApplied(ref Place place, long sequence)
    {
        long seen = Volatile.Read(ref place.Applied);
        while (seen < sequence)
        {
            long previous = Interlocked.CompareExchange(ref place.Applied, sequence, seen);
            if (previous == seen)
            {
                WakeWatchers();
                return;
            }

            seen = previous;
        }
    }

    /// <summary>Moves <see cref="AppliedHint"/> forward to <paramref name="target"/>, every record up to which is
    /// applied; never backwards.</summary>
    private void MoveHint(long target)
    {
        long seen = Volatile.Read(ref _appliedHint.Value);
        while (seen < target)
        {
            long previous = Interlocked.CompareExchange(ref _appliedHint.Value, target, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    private void WakeWatchers()
    {
        if (Volatile.Read(ref _signal) is not null)
        {
            Interlocked.Exchange(ref _signal, null)?.TrySetResult();
        }
    }

    /// <summary>A thread's position in the log whose id it names: an id, not a reference, so that a thread does not
    /// keep a disposed store alive.</summary>
    private struct Cursor
    {
        public long LogId;
        public long Position;
    }

    /// <summary>A place in the ring: what is committed there and its marks; its record's data is in the
    /// <see cref="Copy"/> of the same index.</summary>
    private struct Place
    {
        /// <summary>The record while it is committed and not yet copied, then its lap's <see cref="LapToken"/>;
        /// <see langword="null"/> before the first lap. The claim swaps it.</summary>
        public object? Record;

        /// <summary><c>s</c> when the place's <see cref="Copy"/> holds the data of sequence <c>s</c>, <c>-s</c> while
        /// it is being written for it (by the one thread that swapped in <c>-s</c>), 0 before any; it also marks
        /// <c>s</c> applied.</summary>
        public long Data;

        /// <summary>The highest sequence marked applied here by a thread that could not take <see cref="Data"/>.</summary>
        public long Applied;
    }

    /// <summary>The data of a place's record, guarded by <see cref="Place.Data"/>.</summary>
    private struct Copy
    {
        public string? Key;
        public string? Author;

        /// <summary>The value; <see langword="default"/> for a delete.</summary>
        public JsonElement Value;
        public DateTimeOffset Timestamp;
    }

    /// <summary>A long alone on its 64-byte cache line (with the line before and after it kept free).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct PaddedLong
    {
        [FieldOffset(64)]
        public long Value;
    }
}
