using System.Runtime.CompilerServices;
using System.Text.Json;
using ParallelAgents.Sdk.InMemory;

namespace ParallelAgents.Sdk;

/// <summary>
/// An <see cref="ISharedMemory"/> held in this process's memory, for agents of one engine: lock-free, with no
/// <c>lock</c>, <c>Monitor</c>, <c>SemaphoreSlim</c> or other blocking anywhere on its read or write paths.
/// </summary>
/// <remarks>
/// <para><b>Progress guarantees.</b> <see cref="GetAsync"/> is wait-free: it finishes in a bounded number of its own
/// steps whatever other threads do (a hash-trie lookup of at most 12 levels and one read). <see cref="SetAsync"/>,
/// <see cref="CompareAndSetAsync"/> and <see cref="DeleteAsync"/> are lock-free: a thread retries only when another
/// thread's write committed in between, so some write always completes, and a thread paused anywhere, even halfway
/// through a write, holds no one up (the others finish its write for it). <see cref="ListAsync"/> and
/// <see cref="SnapshotAsync"/> neither wait for writers nor help them: they read every key once, then replay the
/// writes that became visible meanwhile; that is bounded work unless keys keep being added while they run, or more
/// changes than the log holds are written meanwhile (then they start again: keep
/// <see cref="SharedMemoryOptions.RetainedChanges"/> well above the writes that can land while every key is read; the
/// default, 65,536, is), so they are lock-free. <see cref="WatchAsync"/> reads the log without blocking and waits for
/// new changes asynchronously.</para>
/// <para><b>How.</b> Every write is a record in one global log, a ring, and claiming its place by compare-and-swap is
/// the commit; the place is the one after the last record, so the sequence has no gaps and the feed is in commit
/// order. A committed record is applied to its key's slot (a compare-and-swap that only moves forward); a writer
/// first applies whatever is committed but not applied yet, then checks a compare-and-set's expected version, then
/// claims the next place: if another writer claimed it meanwhile the swap fails and it starts again, so a successful
/// compare-and-set decided on the state just before it. Writes become visible in sequence order, one at a time.</para>
/// <para><b>Memory.</b> The log keeps the latest <see cref="SharedMemoryOptions.RetainedChanges"/> changes, rounded up
/// to a power of two, in an array of that many 72-byte places allocated up front (4.5 MiB for the default), and nothing
/// older: a watcher that falls further behind than that gets <see cref="ChangeFeedTruncatedException"/>, as a resume
/// from a sequence no longer retained does. A change's key, value, author and time are copied into its place once it is
/// applied, so the log holds no object per change: an entry lives as long as its key's current value or its caller
/// keeps it, and the garbage collector does not carry the retained changes from generation to generation (a change
/// read back from the log is an equal, new <see cref="MemoryEntry"/>). A deleted key keeps a small marker, so a store
/// whose keys keep changing names grows with them.</para>
/// <para>The one thing a write may wait for outside this class is the .NET runtime itself: allocating (one object per
/// write, whatever the retries: the entry is made once and numbered again for each attempt before anyone can see it,
/// and a compare-and-set adds its result), and, when watchers are waiting, queueing their continuations to the
/// thread pool. Timestamps from <see cref="TimeProvider.System"/> are read from the monotonic clock against a wall-clock
/// anchor taken again every second: they never go back on a thread, and follow a step of the wall clock within a
/// second (after a backward step they go on at the clock's rate until the wall clock catches up); any other <see cref="SharedMemoryOptions.TimeProvider"/> is
/// asked on every write.</para>
/// </remarks>
public sealed class InMemorySharedMemory : ISharedMemory
{
    /// <summary>The most changes this store retains: its log is allocated up front.</summary>
    public const int MaxRetainedChanges = 1 << 26;

    private readonly SharedMemoryOptions _options;
    private readonly TimeProvider _time;

    // TimeProvider.System is read through SystemUtcClock, which gives its time for about half the cost.
    private readonly bool _systemTime;
    private readonly KeyTrie _keys = new();
    private readonly CommitLog _log;
    private int _disposed;

    /// <summary>Creates an empty store.</summary>
    /// <param name="options">Limits and clock; <see langword="null"/> for the defaults. Checked now, and copied, so
    /// later changes to the instance do not reach the store.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range, or
    /// <see cref="SharedMemoryOptions.RetainedChanges"/> is above <see cref="MaxRetainedChanges"/>.</exception>
    public InMemorySharedMemory(SharedMemoryOptions? options = null)
    {
        options ??= new SharedMemoryOptions();
        options.Validate();

        // The log is allocated up front, 72 bytes per retained change (4.5 GiB at the maximum).
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.RetainedChanges, MaxRetainedChanges, nameof(SharedMemoryOptions.RetainedChanges));
        _options = options.CopyLimits();
        _time = options.TimeProvider;
        _systemTime = ReferenceEquals(_time, TimeProvider.System);
        _log = new CommitLog(options.RetainedChanges, _keys);
    }

    /// <inheritdoc />
    /// <remarks>Wait-free.</remarks>
    public ValueTask<MemoryEntry?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();

        // A key in the trie passed validation on its way in; only a miss needs checking, for a clear error.
        KeySlot? slot = FindSlot(key);
        if (slot is null)
        {
            SharedMemoryKeys.Validate(key!, _options);
            return cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<MemoryEntry?>(cancellationToken) : default;
        }

        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<MemoryEntry?>(cancellationToken)
            : new ValueTask<MemoryEntry?>(Volatile.Read(ref slot.State) as MemoryEntry);
    }

    /// <inheritdoc />
    /// <remarks>Lock-free.</remarks>
    public ValueTask<MemoryEntry> SetAsync(string key, JsonElement value, string author, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();

        // A key already in the store passed the key checks on its way in.
        KeySlot? known = FindSlot(key);
        JsonElement copy = MemoryValue.Prepare(key!, value, author, _options, keyIsKnown: known is not null);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<MemoryEntry>(cancellationToken);
        }

        KeySlot slot = known ?? _keys.GetOrAdd(key!);

        // Made before the race, not in it: between the catch-up's look at the log and the swap that commits, the
        // writer only reads its key's state and numbers the entry, so another core's commit rarely lands in between,
        // and a lost race costs no allocation.
        var entry = new MemoryEntry(slot.Key, copy, 0, author, Now());
        while (true)
        {
            long last = _log.CatchUp(out object? successor);
            object? state = Volatile.Read(ref slot.State);
            KeySlot.Renumber(entry, last + 1);
            if (_log.TryAppend(last, successor, entry, slot, state))
            {
                return new ValueTask<MemoryEntry>(entry);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Lock-free and linearizable (across keys, too: every write is ordered by the one log).</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="expectedVersion"/> is negative.</exception>
    public ValueTask<CompareAndSetResult> CompareAndSetAsync(string key, long expectedVersion, JsonElement value, string author, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        ThrowIfDisposed();
        KeySlot? slot = FindSlot(key);
        JsonElement copy = MemoryValue.Prepare(key!, value, author, _options, keyIsKnown: slot is not null);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<CompareAndSetResult>(cancellationToken);
        }

        // Only a create can succeed on a key that has no slot yet.
        if (slot is null && expectedVersion == 0)
        {
            slot = _keys.GetOrAdd(key!);
        }

        if (slot is null)
        {
            return new ValueTask<CompareAndSetResult>(new CompareAndSetResult(false, null));
        }

        // A write that will probably happen is made before the race, as in SetAsync; one that will probably lose
        // reads no clock and allocates nothing unless the check below says otherwise.
        MemoryEntry? entry = ((Volatile.Read(ref slot.State) as MemoryEntry)?.Version ?? 0) == expectedVersion
            ? new MemoryEntry(slot.Key, copy, 0, author, Now())
            : null;
        while (true)
        {
            long last = _log.CatchUp(out object? successor);
            object? state = Volatile.Read(ref slot.State);
            var current = state as MemoryEntry;
            if ((current?.Version ?? 0) != expectedVersion)
            {
                return new ValueTask<CompareAndSetResult>(new CompareAndSetResult(false, current));
            }

            entry ??= new MemoryEntry(slot.Key, copy, 0, author, Now());

            // The check read the state as of 'last' (or later, and then the append below fails): claiming the place
            // right after 'last' commits only if no write came between.
            KeySlot.Renumber(entry, last + 1);
            if (_log.TryAppend(last, successor, entry, slot, state))
            {
                return new ValueTask<CompareAndSetResult>(new CompareAndSetResult(true, entry));
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Lock-free.</remarks>
    public ValueTask<bool> DeleteAsync(string key, string author, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        SharedMemoryKeys.Validate(key, _options);
        MemoryValue.ValidateAuthor(author);

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        KeySlot? slot = _keys.Find(key);
        if (slot is null)
        {
            return new ValueTask<bool>(false);
        }

        DateTimeOffset? now = null;
        while (true)
        {
            long last = _log.CatchUp(out object? successor);
            object? state = Volatile.Read(ref slot.State);
            if (state is not MemoryEntry)
            {
                return new ValueTask<bool>(false);
            }

            now ??= Now();
            if (_log.TryAppend(last, successor, new Tombstone(last + 1, slot.Key, author, now.Value), slot, state))
            {
                return new ValueTask<bool>(true);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Lock-free, never waits for writers; takes time in proportion to the number of keys.</remarks>
    public ValueTask<IReadOnlyList<MemoryEntry>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<IReadOnlyList<MemoryEntry>>(cancellationToken);
        }

        Dictionary<string, object> states = Capture(prefix, out _);
        var entries = new List<MemoryEntry>(states.Count);
        foreach (object state in states.Values)
        {
            if (state is MemoryEntry entry)
            {
                entries.Add(entry);
            }
        }

        entries.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new ValueTask<IReadOnlyList<MemoryEntry>>(entries);
    }

    /// <inheritdoc />
    /// <remarks>Lock-free, never waits for writers; takes time in proportion to the number of keys.</remarks>
    public ValueTask<MemorySnapshot> SnapshotAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<MemorySnapshot>(cancellationToken);
        }

        Dictionary<string, object> states = Capture(string.Empty, out long sequence);
        var entries = new Dictionary<string, MemoryEntry>(states.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, object> pair in states)
        {
            if (pair.Value is MemoryEntry entry)
            {
                entries.Add(pair.Key, entry);
            }
        }

        return new ValueTask<MemorySnapshot>(new MemorySnapshot(sequence, entries));
    }

    /// <inheritdoc />
    /// <remarks>
    /// The position is taken when this method is called, and a truncated <paramref name="fromSequence"/> is reported
    /// then. Reading is lock-free; waiting for the next change is asynchronous and holds no thread. A watcher that falls
    /// more than the retained changes behind gets <see cref="ChangeFeedTruncatedException"/> from its next read.
    /// Cancellation and disposal of the store end the stream without an exception.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fromSequence"/> is negative.</exception>
    public IAsyncEnumerable<MemoryChange> WatchAsync(string prefix, long? fromSequence = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ThrowIfDisposed();
        if (fromSequence is not { } from)
        {
            return ReadChangesAsync(_log.FindLast(), prefix, cancellationToken);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(from, nameof(fromSequence));
        if (_log.IsLost(from + 1))
        {
            throw new ChangeFeedTruncatedException(from, _log.OldestRetained());
        }

        return ReadChangesAsync(from, prefix, cancellationToken);
    }

    /// <summary>Ends every watcher's stream; the store's methods throw <see cref="ObjectDisposedException"/> afterwards.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _log.Close();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Reads every slot once, then replays the log from where it was applied when the read began to the latest write
    /// the read saw; it never waits for writers, nor helps them.
    /// </summary>
    /// <remarks>
    /// Writes become visible one at a time, in sequence order (see <see cref="CommitLog"/>); call V the last visible
    /// one. Every record up to <c>start</c> is applied before the walk, so each slot read holds its key's state as of
    /// <c>start</c> or later; and each holds a visible state, so <c>end</c>, the highest sequence read (over all keys),
    /// is at most V at the end of the walk. The write that was V when the walk began is in its key's slot, or a later
    /// one is (slots are never moved out of reach), so <c>end</c> is at least that V. V passed through <c>end</c>
    /// during the walk: that is the snapshot's point in time, and keeping per key the newer of its slot's state and the
    /// writes replayed from <c>(start, end]</c> gives exactly the state then.
    /// </remarks>
    private Dictionary<string, object> Capture(string prefix, out long sequence)
    {
        while (true)
        {
            // Exact, not the shared hint: a hint more than a lap behind (the log holds fewer changes than the hint's
            // interval, or its writer is slow) would make every replay start before the oldest retained change.
            long start = _log.FindApplied();
            var slots = new List<KeySlot>();
            _keys.CollectSlots(slots);
            var states = new Dictionary<string, object>(slots.Count, StringComparer.Ordinal);
            long end = start;
            foreach (KeySlot slot in slots)
            {
                if (Volatile.Read(ref slot.State) is not { } state)
                {
                    continue;
                }

                // Every key counts for 'end', not only those under the prefix.
                end = Math.Max(end, KeySlot.SequenceOf(state));
                if (slot.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    states[slot.Key] = state;
                }
            }

            if (TryReplay(states, prefix, start, end))
            {
                sequence = end;
                return states;
            }

            // More writes than the log holds came during the read; rare, and the next read starts later.
        }
    }

    private bool TryReplay(Dictionary<string, object> states, string prefix, long start, long end)
    {
        try
        {
            for (long next = start + 1; next <= end; next++)
            {
                // Committed, since a later write is visible; so a null here is impossible.
                object record = _log.ReadCommitted(next)!;
                string key = KeySlot.KeyOf(record);
                if (key.StartsWith(prefix, StringComparison.Ordinal)
                    && (!states.TryGetValue(key, out object? seen) || KeySlot.SequenceOf(seen) < next))
                {
                    states[key] = record;
                }
            }

            return true;
        }
        catch (ChangeFeedTruncatedException)
        {
            return false;
        }
    }

    private async IAsyncEnumerable<MemoryChange> ReadChangesAsync(long position, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            // Only applied records: a change a watcher has seen is visible to GetAsync too.
            while (_log.ReadApplied(position + 1) is { } record)
            {
                position++;
                if (KeySlot.KeyOf(record).StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return KeySlot.ToChange(record);
                }
            }

            if (_log.IsClosed || cancellationToken.IsCancellationRequested)
            {
                yield break;
            }

            Task changed = _log.WaitForChangeAfter(position);
            if (!changed.IsCompleted)
            {
                // Cancellation is checked at the top of the loop; the stream ends quietly, as documented.
                await changed.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>The log, for tests that pause a writer in the middle of its write.</summary>
    internal CommitLog Log => _log;

    /// <summary>The key's slot, if it has one; a key too long to have one is not even hashed.</summary>
    private KeySlot? FindSlot(string? key) =>
        key is null || key.Length > _options.MaxKeyLength ? null : _keys.Find(key);

    private DateTimeOffset Now() => _systemTime ? SystemUtcClock.UtcNow() : _time.GetUtcNow();

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
