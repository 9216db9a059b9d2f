using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace ParallelAgents.Sdk;

/// <summary>
/// The embedded shared memory: an append-only journal and a periodic snapshot on local disk, the snapshot readable JSON
/// at <c>shared-memory/agent_memory.json</c> by default (<c>cat shared-memory/agent_memory.json | jq .</c>).
/// </summary>
/// <remarks>
/// <para><b>Writes.</b> One writer at a time takes every write waiting, checks each (compare-and-set against the latest
/// version, delete against presence), numbers them and appends them to the journal in one system call; with
/// <see cref="FlushPolicy.Always"/> it then flushes the journal to disk before acknowledging them, with
/// <see cref="FlushPolicy.Batched"/> the journal is flushed within <see cref="FileSharedMemoryOptions.BatchInterval"/>
/// after. With <see cref="FlushPolicy.Batched"/> the writer is the caller that finds no other writer at work (so a lone
/// writer's write costs one system call and no thread switch), and a background writer takes over what arrives while
/// it works; with <see cref="FlushPolicy.Always"/> the background writer does every flush, so no caller's thread waits
/// on the disk, and writers that arrive during a flush share the next one. A write becomes visible to readers and
/// watchers when it is acknowledged, never before, so no one acts on a write that a crash could take back.</para>
/// <para><b>Reads.</b> <see cref="GetAsync"/>, <see cref="ListAsync"/> and <see cref="SnapshotAsync"/> read an immutable
/// in-memory state that the writer replaces after each batch: they never touch the disk, never wait for a writer, and
/// always see one consistent point in the sequence.</para>
/// <para><b>Files.</b> Beside the snapshot: <c>agent_memory.journal</c> (the writes since the snapshot),
/// <c>agent_memory.previous.json</c> and <c>agent_memory.previous.journal</c> (the snapshot before, and the writes
/// between the two: the fallback when the current snapshot is damaged) and <c>agent_memory.lock</c> (held while the store
/// is open, so a second process gets <see cref="SharedMemoryLockedException"/>). Every journal record and every snapshot
/// carries a CRC-32C checksum. The snapshot is rewritten atomically (a temporary file, flushed, renamed over) after
/// <see cref="FileSharedMemoryOptions.SnapshotEvery"/> records, after <see cref="FileSharedMemoryOptions.SnapshotInterval"/>
/// with unsaved writes, and on dispose.</para>
/// <para><b>Recovery.</b> On open, the store rebuilds the last state its files prove: the snapshot and the journal
/// records after it, falling back to the previous snapshot when the current one is damaged. A torn or corrupted journal
/// tail, a damaged snapshot, or records that can no longer be replayed are moved aside as
/// <c>&lt;file&gt;.corrupt-&lt;time&gt;</c>, and a warning says what was lost (which writes, how many bytes); nothing is
/// dropped silently. Hand edits of the snapshot are detected as damage: change the memory through this API.</para>
/// </remarks>
public sealed class FileSharedMemory : ISharedMemory
{
    /// <summary>The most writes taken into one journal append.</summary>
    private const int MaxBatchRequests = 4096;

    /// <summary>The most journal bytes in one append; a single larger record still goes alone.</summary>
    private const int MaxBatchBytes = 4 * 1024 * 1024;

    /// <summary>The journal size that forces a snapshot whatever <see cref="FileSharedMemoryOptions.SnapshotEvery"/> says.</summary>
    private const long MaxJournalBytes = 64L * 1024 * 1024;

    private readonly StorePaths _paths;
    private readonly SharedMemoryOptions _limits;
    private readonly FlushPolicy _flushPolicy;
    private readonly TimeSpan _batchInterval;
    private readonly TimeSpan _snapshotInterval;
    private readonly int _snapshotEvery;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FileStream _lockFile;
    private readonly ChangeLog _changes;
    private readonly Channel<WriteRequest> _requests;
    private readonly Channel<bool> _wake;
    private readonly ConcurrentQueue<WriteRequest> _controls = new();

    /// <summary>Held by whoever writes: a caller writing inline or the background writer, never both.</summary>
    private readonly object _writerGate = new();

    // The writer's working set, used only under _writerGate.
    private readonly List<WriteRequest> _batch = [];
    private readonly List<MemoryChange> _batchChanges = [];
    private readonly ByteBuffer _buffer = new(64 * 1024);
    private readonly Utf8JsonWriter _json;
    private readonly CancellationTokenSource _stopMaintenance = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _writer;
    private readonly Task _maintenance;

    /// <summary>Guards the journal handle against the flusher while the writer rotates it; writes do not take it.</summary>
    private readonly object _journalGate = new();

    private SafeFileHandle _journal;
    private long _journalLength;

    /// <summary>What readers see: replaced, never changed, by the writer loop.</summary>
    private volatile StoreState _state;

    /// <summary>The last sequence written to the journal (handed to the operating system).</summary>
    private long _writtenSequence;

    /// <summary>The last sequence flushed to disk.</summary>
    private long _durableSequence;

    /// <summary>The sequence the snapshot on disk stands at; only the writer loop touches it.</summary>
    private long _snapshotSequence;

    /// <summary>The sequence after which the writer next tries a snapshot by record count (later after a failed try).</summary>
    private long _nextSnapshotSequence;

    private long _lastSnapshotTicks;

    /// <summary>After a failed snapshot, the timestamp before which the record count and journal size do not ask for another.</summary>
    private long _snapshotRetryAt;
    private int _snapshotRequested;
    private bool _writerClosed;
    private Exception? _fault;
    private int _disposed;

    private FileSharedMemory(FileSharedMemoryOptions options, StorePaths paths, FileStream lockFile, StoreRecoveryResult recovered, SafeFileHandle journal, long journalLength, long snapshotSequence)
    {
        _paths = paths;
        _limits = options.CopyLimits();
        _flushPolicy = options.FlushPolicy;
        _batchInterval = options.BatchInterval;
        _snapshotInterval = options.SnapshotInterval;
        _snapshotEvery = options.SnapshotEvery;
        _time = options.TimeProvider;
        _logger = options.LoggerFactory.CreateLogger<FileSharedMemory>();
        _lockFile = lockFile;
        _journal = journal;
        _journalLength = journalLength;
        _state = new StoreState(recovered.Entries, recovered.Sequence);
        _writtenSequence = _durableSequence = recovered.Sequence;
        _snapshotSequence = snapshotSequence;
        _nextSnapshotSequence = snapshotSequence + _snapshotEvery;
        _lastSnapshotTicks = _time.GetTimestamp();
        _changes = new ChangeLog(options.RetainedChanges, recovered.Sequence, recovered.Retained);

        _json = new Utf8JsonWriter(_buffer);

        // SingleReader false: both inline writers and the background writer read, one at a time under _writerGate (the
        // gate, not the channel, is what numbers writes in one order). SingleWriter false: any caller writes. Nobody
        // waits on this channel's reader, so continuations do not arise; false keeps it that way.
        _requests = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions
        {
            SingleReader = false,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });

        // Wakes the background writer; one pending wake is enough, so further ones are dropped. SingleReader: only the
        // background writer waits. No synchronous continuations: a caller's Wake must not run the writer (and an fsync)
        // inline on its thread.
        _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
        _writer = Task.Run(RunWriterAsync);
        _maintenance = RunMaintenanceAsync(CreateMaintenanceTimer());
    }

    /// <summary>The full path of the snapshot file.</summary>
    public string Path => _paths.Snapshot;

    /// <summary>The last sequence flushed to disk (for tests of the flush policies).</summary>
    internal long DurableSequence => Volatile.Read(ref _durableSequence);

    /// <summary>Opens the store at <paramref name="path"/>, creating it if there is none, and recovers it if it was not
    /// closed cleanly.</summary>
    /// <param name="path">The snapshot file; overrides <see cref="FileSharedMemoryOptions.Path"/>.</param>
    /// <param name="options">The other options, which are not changed; <see langword="null"/> for the defaults.</param>
    /// <returns>The open store; dispose it to write the final snapshot and release the lock.</returns>
    /// <exception cref="SharedMemoryLockedException">Another process, or another open store in this process, uses the files.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="IOException">The folder or files cannot be read or written.</exception>
    public static FileSharedMemory Open(string path, FileSharedMemoryOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FileSharedMemoryOptions copy = options?.Clone() ?? new FileSharedMemoryOptions();
        copy.Path = path;
        return Open(copy);
    }

    /// <summary>Opens the store at <see cref="FileSharedMemoryOptions.Path"/>, creating it if there is none, and recovers
    /// it if it was not closed cleanly; a recovery that lost anything logs a warning that says what.</summary>
    /// <param name="options">The options; they are validated and copied.</param>
    /// <returns>The open store; dispose it to write the final snapshot and release the lock.</returns>
    /// <exception cref="SharedMemoryLockedException">Another process, or another open store in this process, uses the files.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="IOException">The folder or files cannot be read or written.</exception>
    public static FileSharedMemory Open(FileSharedMemoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        options = options.Clone();
        var paths = new StorePaths(options.Path);
        Directory.CreateDirectory(paths.Directory);
        FileStream lockFile = AcquireLock(paths, options.TimeProvider);
        try
        {
            return Recover(options, paths, lockFile);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Opens the store as <see cref="Open(FileSharedMemoryOptions)"/> does, reading the files on the thread pool.</summary>
    /// <param name="options">The options; they are validated and copied.</param>
    /// <param name="cancellationToken">Cancels the open before the files are read.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="SharedMemoryLockedException">Another process, or another open store in this process, uses the files.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="IOException">The folder or files cannot be read or written.</exception>
    public static Task<FileSharedMemory> OpenAsync(FileSharedMemoryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        FileSharedMemoryOptions copy = options.Clone();
        return Task.Run(() => Open(copy), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<MemoryEntry?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        SharedMemoryKeys.Validate(key, _limits);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return new(_state.Entries.TryGetValue(key, out MemoryEntry? entry) ? entry : null);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<MemoryEntry>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        var list = new List<MemoryEntry>();
        foreach (KeyValuePair<string, MemoryEntry> pair in _state.Entries)
        {
            if (pair.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                list.Add(pair.Value);
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new(list);
    }

    /// <inheritdoc />
    public ValueTask<MemorySnapshot> SnapshotAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        StoreState state = _state;
        return new(new MemorySnapshot(state.Sequence, state.Entries));
    }

    /// <inheritdoc />
    /// <remarks>The returned entry is acknowledged under the store's <see cref="FlushPolicy"/>.</remarks>
    public async ValueTask<MemoryEntry> SetAsync(string key, JsonElement value, string author, CancellationToken cancellationToken = default)
    {
        JsonElement copy = MemoryValue.Prepare(key, value, author, _limits);
        CompareAndSetResult result = await Submit(new WriteRequest(WriteKind.Set, key, copy, author, 0, cancellationToken)).ConfigureAwait(false);
        return result.Current!;
    }

    /// <inheritdoc />
    public async ValueTask<CompareAndSetResult> CompareAndSetAsync(string key, long expectedVersion, JsonElement value, string author, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        JsonElement copy = MemoryValue.Prepare(key, value, author, _limits);
        return await Submit(new WriteRequest(WriteKind.CompareAndSet, key, copy, author, expectedVersion, cancellationToken)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string key, string author, CancellationToken cancellationToken = default)
    {
        SharedMemoryKeys.Validate(key, _limits);
        MemoryValue.ValidateAuthor(author);

        if (!_state.Entries.ContainsKey(key))
        {
            // Nothing to delete now: a write in flight that would add the key is not acknowledged yet, so this delete is
            // ordered before it, and the answer needs no journal record.
            cancellationToken.ThrowIfCancellationRequested();
            ThrowIfDisposed();
            return false;
        }

        CompareAndSetResult result = await Submit(new WriteRequest(WriteKind.Delete, key, default, author, 0, cancellationToken)).ConfigureAwait(false);
        return result.Succeeded;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<MemoryChange> WatchAsync(string prefix, long? fromSequence = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (fromSequence < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(fromSequence), fromSequence, "fromSequence is a sequence number (0 or more), or null to watch from now.");
        }

        ThrowIfDisposed();

        // Taken now, not when enumeration starts: "the next change committed after the call".
        long after = fromSequence ?? _state.Sequence;
        return WatchCoreAsync(prefix, after, cancellationToken);
    }

    /// <summary>Waits until every write acknowledged before the call is flushed to disk, whatever the flush policy.</summary>
    /// <param name="cancellationToken">Stops waiting; the flush still happens.</param>
    /// <returns>A task that completes when the writes are on disk.</returns>
    /// <exception cref="IOException">The journal could not be flushed; the store no longer accepts writes.</exception>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (Volatile.Read(ref _durableSequence) >= _state.Sequence && _fault is null)
        {
            return;
        }

        await SubmitControl(WriteKind.Flush).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes when the background writer has done what was due when called: a snapshot it had started or
    /// found due, and the flush of every write before the call. Unlike <see cref="FlushAsync"/>, it always goes through
    /// the writer, so a test can read the files afterwards without racing a snapshot's renames.</summary>
    internal Task WhenWriterCaughtUpAsync() => SubmitControl(WriteKind.Flush);

    /// <summary>Rewrites the snapshot file now, so that it shows every write acknowledged before the call.</summary>
    /// <param name="cancellationToken">Stops waiting; the snapshot is still written.</param>
    /// <returns>A task that completes when the snapshot is on disk.</returns>
    /// <exception cref="IOException">The snapshot could not be written (the journal still holds every write).</exception>
    public async ValueTask CheckpointAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await SubmitControl(WriteKind.Checkpoint).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes the writes already made, writes the final snapshot, ends the watches and releases the lock.</summary>
    /// <returns>A task that completes when the files are closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _closed.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            await _stopMaintenance.CancelAsync().ConfigureAwait(false);
            await _maintenance.ConfigureAwait(false);

            // Writes already queued are written; the background writer then flushes, writes the final snapshot and stops.
            _requests.Writer.TryComplete();
            Wake();
            await _writer.ConfigureAwait(false);
        }
        finally
        {
            _changes.Close();
            lock (_journalGate)
            {
                _journal.Dispose();
            }

            _json.Dispose();

            _lockFile.Dispose();
            _stopMaintenance.Dispose();
            _closed.TrySetResult();
        }
    }

    private static FileStream AcquireLock(StorePaths paths, TimeProvider time)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(paths.Lock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
        }
        catch (IOException e) when (IsSharingViolation(e))
        {
            throw new SharedMemoryLockedException(paths.Snapshot, paths.Lock, e);
        }

        try
        {
            // For people: `cat agent_memory.lock` names the holder (the lock is advisory on Unix, so cat can read it).
            using var process = Process.GetCurrentProcess();
            byte[] owner = System.Text.Encoding.UTF8.GetBytes(
                $"pid {Environment.ProcessId} ({process.ProcessName}) on {Environment.MachineName}, since {time.GetUtcNow():O}\n");
            stream.SetLength(0);
            stream.Write(owner);
            stream.Flush();
        }
        catch (IOException)
        {
            // The note is a courtesy; the lock is what matters.
        }

        return stream;
    }

    private static bool IsSharingViolation(IOException e) =>
        e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException)
        && (OperatingSystem.IsWindows()
            ? (e.HResult & 0xFFFF) is 32 or 33 // ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
            : e.HResult is 11 or 35); // EWOULDBLOCK from flock: 11 on Linux, 35 on macOS and BSD

    private static FileSharedMemory Recover(FileSharedMemoryOptions options, StorePaths paths, FileStream lockFile)
    {
        ILogger logger = options.LoggerFactory.CreateLogger<FileSharedMemory>();
        StoreRecoveryResult recovered = StoreRecovery.Recover(paths, options.RetainedChanges);
        foreach (string warning in recovered.Warnings)
        {
            FileSharedMemoryLog.RecoveryProblem(logger, paths.Snapshot, warning);
        }

        foreach (string note in recovered.Notes)
        {
            FileSharedMemoryLog.RecoveryNote(logger, paths.Snapshot, note);
        }

        SafeFileHandle journal;
        long journalLength;
        long snapshotSequence;
        if (recovered.NeedsRewrite)
        {
            List<string> moved = Rewrite(paths, recovered, options.TimeProvider.GetUtcNow());
            if (moved.Count > 0)
            {
                FileSharedMemoryLog.Recovered(logger, paths.Snapshot, recovered.Sequence, recovered.Entries.Count, recovered.BaseDescription, recovered.Replayed, string.Join(", ", moved));
            }

            journal = OpenJournal(paths, FileMode.Create);
            DurableFile.SyncDirectory(paths.Directory);
            journalLength = 0;
            snapshotSequence = recovered.Sequence;
        }
        else
        {
            if (recovered.HasTemporary)
            {
                File.Delete(paths.SnapshotTemp);
            }

            journal = OpenJournal(paths, FileMode.OpenOrCreate);
            journalLength = recovered.JournalLength;
            snapshotSequence = recovered.Sequence - recovered.Replayed;
        }

        FileSharedMemoryLog.Opened(logger, paths.Snapshot, recovered.Sequence, recovered.Entries.Count, recovered.Replayed, options.FlushPolicy);
        return new FileSharedMemory(options, paths, lockFile, recovered, journal, journalLength, snapshotSequence);
    }

    /// <summary>Writes the recovered state as both the current and the previous snapshot and empties the journals, after
    /// copying every damaged file aside; the originals go only once the new snapshots are on disk.</summary>
    /// <returns>Where the damaged files were moved.</returns>
    private static List<string> Rewrite(StorePaths paths, StoreRecoveryResult recovered, DateTimeOffset now)
    {
        var moved = new List<string>();
        foreach (string damaged in recovered.Damaged)
        {
            string aside = StorePaths.CorruptName(damaged, now);
            DurableFile.Copy(damaged, aside);
            moved.Add(aside);
        }

        byte[] snapshot = SnapshotCodec.Serialize(recovered.Sequence, now, recovered.Entries.Values);
        DurableFile.Write(paths.SnapshotTemp, snapshot);
        File.Move(paths.SnapshotTemp, paths.Snapshot, overwrite: true);
        DurableFile.Write(paths.SnapshotTemp, snapshot);
        File.Move(paths.SnapshotTemp, paths.PreviousSnapshot, overwrite: true);
        DurableFile.SyncDirectory(paths.Directory);
        File.Delete(paths.PreviousJournal);
        File.Delete(paths.Journal);
        return moved;
    }

    private static SafeFileHandle OpenJournal(StorePaths paths, FileMode mode) =>
        // Read and Delete sharing: tools may read the journal, and Windows lets the rotation rename it while it is open.
        File.OpenHandle(paths.Journal, mode, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);

    private Task<CompareAndSetResult> Submit(WriteRequest request)
    {
        request.CancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        if (_fault is { } fault)
        {
            throw Faulted(fault);
        }

        if (!_requests.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(FileSharedMemory), $"The shared memory at {_paths.Snapshot} is disposed.");
        }

        if (_flushPolicy == FlushPolicy.Always)
        {
            Wake();
        }
        else if (Monitor.TryEnter(_writerGate))
        {
            // No one is writing: write now, on this thread. A bounded number of batches, so a caller never works for
            // others for long; what is left goes to the background writer.
            try
            {
                for (int i = 0; i < 4 && !_writerClosed && _requests.Reader.Count > 0; i++)
                {
                    WriteBatch();
                }
            }
            finally
            {
                Monitor.Exit(_writerGate);
            }

            WakeIfWorkIsLeft();
        }

        // Otherwise a writer holds the gate; it wakes the background writer on its way out if this request is still
        // queued then, so the request is never stranded. The token is not watched from here on: the writer drops a
        // request cancelled before it is numbered, and answering "cancelled" for a write that then commits would lie.
        return request.Task;
    }

    private Task<CompareAndSetResult> SubmitControl(WriteKind kind)
    {
        var control = new WriteRequest(kind, string.Empty, default, string.Empty, 0, CancellationToken.None);
        _controls.Enqueue(control);
        Wake();
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Disposed meanwhile: the writer may have stopped; the answer is then "disposed", not a wait forever.
            control.TrySetException(new ObjectDisposedException(nameof(FileSharedMemory)));
        }

        return control.Task;
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Called after leaving the gate: anything that arrived while it was held is the background writer's.</summary>
    private void WakeIfWorkIsLeft()
    {
        if (_requests.Reader.Count > 0 || !_controls.IsEmpty || SnapshotDue())
        {
            Wake();
        }
    }

    private bool SnapshotDue() =>
        _fault is null
        && (Volatile.Read(ref _snapshotRequested) != 0
            || ((_state.Sequence >= Interlocked.Read(ref _nextSnapshotSequence) || Interlocked.Read(ref _journalLength) >= MaxJournalBytes)
                && _time.GetTimestamp() >= Interlocked.Read(ref _snapshotRetryAt)));

    /// <summary>The background writer: writes what inline writers left, every write with <see cref="FlushPolicy.Always"/>,
    /// snapshots and flush requests, and the final flush and snapshot on dispose.</summary>
    private async Task RunWriterAsync()
    {
        while (await _wake.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            _wake.Reader.TryRead(out _);
            bool closing;
            lock (_writerGate)
            {
                try
                {
                    while (_requests.Reader.Count > 0)
                    {
                        WriteBatch();
                    }

                    if (SnapshotDue())
                    {
                        Snapshot(reportFailure: false);
                    }
                }
                catch (Exception e)
                {
                    // A bug, not an I/O failure (those fault the store where they happen): fail what is in hand rather
                    // than leave callers waiting, and stop writing, since the journal and the state may disagree.
                    Fault(e, "the writer failed unexpectedly");
                    FailBatch(Faulted(e));
                }

                while (_controls.TryDequeue(out WriteRequest? control))
                {
                    RunControl(control);
                }

                closing = _requests.Reader.Completion.IsCompleted;
                if (closing)
                {
                    Close();
                }
            }

            if (closing)
            {
                return;
            }

            WakeIfWorkIsLeft();
        }
    }

    /// <summary>On dispose, under the gate, once every queued write is written: flush, final snapshot, no more writing.</summary>
    private void Close()
    {
        if (_fault is null)
        {
            try
            {
                Sync();
                Snapshot(reportFailure: false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                FileSharedMemoryLog.SnapshotFailed(_logger, _paths.Snapshot, e);
            }
        }

        _writerClosed = true;
        while (_controls.TryDequeue(out WriteRequest? control))
        {
            control.TrySetException(new ObjectDisposedException(nameof(FileSharedMemory)));
        }
    }

    /// <summary>Takes the waiting writes, appends them to the journal at once, publishes and answers them; under the gate.</summary>
    private void WriteBatch()
    {
        ChannelReader<WriteRequest> reader = _requests.Reader;
        List<WriteRequest> batch = _batch;
        List<MemoryChange> changes = _batchChanges;
        try
        {
            StoreState state = _state;
            ImmutableDictionary<string, MemoryEntry>.Builder? entries = null;
            long sequence = state.Sequence;
            while (batch.Count < MaxBatchRequests && _buffer.Length < MaxBatchBytes && reader.TryRead(out WriteRequest? request))
            {
                if (request.CancellationToken.IsCancellationRequested)
                {
                    request.TrySetCanceled(request.CancellationToken);
                    continue;
                }

                if (_fault is { } fault)
                {
                    request.TrySetException(Faulted(fault));
                    continue;
                }

                entries ??= state.Entries.ToBuilder();
                Apply(request, entries, ref sequence, changes, _buffer, _json);
                batch.Add(request);
            }

            if (changes.Count > 0 && Commit(_buffer, batch, sequence))
            {
                // Published only once written (and, with Always, on disk): no one reads a write a crash could take back.
                _state = new StoreState(entries!.ToImmutable(), sequence);
                _changes.Append(changes);
            }

            foreach (WriteRequest done in batch)
            {
                done.TrySetResult(done.Result!);
            }
        }
        catch (Exception e)
        {
            Fault(e, "the writer failed unexpectedly");
            FailBatch(Faulted(e));
        }
        finally
        {
            batch.Clear();
            changes.Clear();
            _buffer.Shrink(MaxBatchBytes);
        }
    }

    private void FailBatch(Exception failure)
    {
        foreach (WriteRequest request in _batch)
        {
            request.TrySetException(failure);
        }

        _batch.Clear();
    }

    private void Apply(WriteRequest request, ImmutableDictionary<string, MemoryEntry>.Builder entries, ref long sequence, List<MemoryChange> changes, ByteBuffer buffer, Utf8JsonWriter json)
    {
        entries.TryGetValue(request.Key, out MemoryEntry? current);
        if (request.Kind == WriteKind.CompareAndSet && (current?.Version ?? 0) != request.ExpectedVersion)
        {
            request.Result = new CompareAndSetResult(false, current);
            return;
        }

        if (request.Kind == WriteKind.Delete && current is null)
        {
            request.Result = new CompareAndSetResult(false, null);
            return;
        }

        long next = sequence + 1;
        DateTimeOffset now = _time.GetUtcNow();
        MemoryChange change;
        if (request.Kind == WriteKind.Delete)
        {
            entries.Remove(request.Key);
            change = new MemoryChange(next, MemoryChangeKind.Delete, request.Key, null, request.Author, now);
            request.Result = new CompareAndSetResult(true, null);
        }
        else
        {
            var entry = new MemoryEntry(request.Key, request.Value, next, request.Author, now);
            entries[request.Key] = entry;
            change = new MemoryChange(next, MemoryChangeKind.Set, request.Key, entry, request.Author, now);
            request.Result = new CompareAndSetResult(true, entry);
        }

        JournalCodec.Append(buffer, change, json);
        changes.Add(change);
        sequence = next;
    }

    /// <summary>Appends the batch to the journal and, with <see cref="FlushPolicy.Always"/>, flushes it to disk.</summary>
    /// <param name="buffer">The batch's records.</param>
    /// <param name="batch">The batch's requests, failed here if the journal cannot be written.</param>
    /// <param name="sequence">The sequence of the batch's last record.</param>
    /// <returns>Whether the batch is written; if not, the store is faulted and the batch's requests have failed.</returns>
    private bool Commit(ByteBuffer buffer, List<WriteRequest> batch, long sequence)
    {
        try
        {
            RandomAccess.Write(_journal, buffer.Written, _journalLength);
            Interlocked.Add(ref _journalLength, buffer.Length);
            if (_flushPolicy == FlushPolicy.Always)
            {
                RandomAccess.FlushToDisk(_journal);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            Fault(e, "appending to the journal failed");
            FailBatch(Faulted(e));
            return false;
        }

        if (_fault is { } fault)
        {
            // The flusher failed meanwhile: what was just written may never reach the disk; do not acknowledge it.
            FailBatch(Faulted(fault));
            return false;
        }

        Volatile.Write(ref _writtenSequence, sequence);
        if (_flushPolicy == FlushPolicy.Always)
        {
            Volatile.Write(ref _durableSequence, sequence);
        }

        return true;
    }

    private void RunControl(WriteRequest control)
    {
        try
        {
            if (_fault is { } fault)
            {
                throw Faulted(fault);
            }

            if (control.Kind == WriteKind.Flush)
            {
                Sync();
            }
            else
            {
                Snapshot(reportFailure: true);
            }

            control.TrySetResult(new CompareAndSetResult(true, null));
        }
        catch (Exception e)
        {
            control.TrySetException(e);
        }
    }

    /// <summary>Flushes the journal to disk if anything written is not yet; safe from the flusher and the writer loop.</summary>
    private void Sync()
    {
        long target;
        lock (_journalGate)
        {
            target = Volatile.Read(ref _writtenSequence);
            if (target <= Volatile.Read(ref _durableSequence) || _journal.IsClosed)
            {
                return;
            }

            try
            {
                RandomAccess.FlushToDisk(_journal);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // After a failed fsync the kernel may have dropped the dirty pages: nothing written can be trusted.
                Fault(e, "flushing the journal to disk failed");
                throw Faulted(e);
            }

            Volatile.Write(ref _durableSequence, target);
        }
    }

    /// <summary>Writes the snapshot and starts a new journal; under the gate.</summary>
    /// <param name="reportFailure">Whether a failure to write the snapshot is thrown to a caller who asked for it; when
    /// the writer decided, it is logged and tried again later.</param>
    private void Snapshot(bool reportFailure)
    {
        Interlocked.Exchange(ref _snapshotRequested, 0);
        StoreState state = _state;
        if (state.Sequence == _snapshotSequence && Interlocked.Read(ref _journalLength) == 0)
        {
            // Nothing to save. (A journal holding only writes the snapshot has, as after a crash between the two steps
            // of a snapshot, is still rotated away.)
            return;
        }

        int size;
        try
        {
            byte[] bytes = SnapshotCodec.Serialize(state.Sequence, _time.GetUtcNow(), state.Entries.Values);
            size = bytes.Length;
            DurableFile.Write(_paths.SnapshotTemp, bytes);

            // The journal being retired becomes the fallback between the previous snapshot and this one: on disk first.
            Sync();
            if (File.Exists(_paths.Snapshot))
            {
                // The old snapshot becomes the previous one and the new one takes its name in one replacement, so that
                // the snapshot file never goes missing for a reader (two moves left it absent between them).
                File.Replace(_paths.SnapshotTemp, _paths.Snapshot, _paths.PreviousSnapshot, ignoreMetadataErrors: true);
            }
            else
            {
                File.Move(_paths.SnapshotTemp, _paths.Snapshot, overwrite: true);
            }
            DurableFile.SyncDirectory(_paths.Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && !reportFailure)
        {
            // Nothing is lost: the journal still holds every write since the last snapshot. Try again later.
            FileSharedMemoryLog.SnapshotFailed(_logger, _paths.Snapshot, e);
            Interlocked.Exchange(ref _lastSnapshotTicks, _time.GetTimestamp());
            Interlocked.Exchange(ref _snapshotRetryAt, _time.GetTimestamp() + _time.TimestampFrequency);
            return;
        }

        try
        {
            lock (_journalGate)
            {
                File.Move(_paths.Journal, _paths.PreviousJournal, overwrite: true);
                SafeFileHandle next = OpenJournal(_paths, FileMode.Create);
                _journal.Dispose();
                _journal = next;
                Interlocked.Exchange(ref _journalLength, 0);
                Volatile.Write(ref _durableSequence, Math.Max(Volatile.Read(ref _durableSequence), state.Sequence));
            }

            DurableFile.SyncDirectory(_paths.Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fault(e, "starting a new journal after the snapshot failed");
            throw Faulted(e);
        }

        Interlocked.Exchange(ref _snapshotSequence, state.Sequence);
        Interlocked.Exchange(ref _nextSnapshotSequence, state.Sequence + _snapshotEvery);
        Interlocked.Exchange(ref _lastSnapshotTicks, _time.GetTimestamp());
        FileSharedMemoryLog.SnapshotWritten(_logger, _paths.Snapshot, state.Sequence, size);
    }

    /// <summary>The maintenance timer, started when the store opens (not when its loop first runs), so that the first
    /// interval is measured from the open; null when there is nothing to time.</summary>
    private PeriodicTimer? CreateMaintenanceTimer()
    {
        if (_flushPolicy == FlushPolicy.Always && _snapshotInterval == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        TimeSpan period = _flushPolicy == FlushPolicy.Batched
            ? _batchInterval
            : TimeSpan.FromTicks(Math.Max(_snapshotInterval.Ticks / 4, TimeSpan.TicksPerMillisecond * 25));
        return new PeriodicTimer(period, _time);
    }

    /// <summary>Flushes the journal every <see cref="FileSharedMemoryOptions.BatchInterval"/> (<see cref="FlushPolicy.Batched"/>)
    /// and asks the writer for a snapshot once <see cref="FileSharedMemoryOptions.SnapshotInterval"/> passes with unsaved writes.</summary>
    private async Task RunMaintenanceAsync(PeriodicTimer? timer)
    {
        if (timer is null)
        {
            return;
        }

        // Off the caller's thread from the first tick on: the open returns at once.
        await Task.Yield();
        bool batched = _flushPolicy == FlushPolicy.Batched;
        bool timedSnapshots = _snapshotInterval != Timeout.InfiniteTimeSpan;
        using PeriodicTimer owned = timer;
        try
        {
            while (await timer.WaitForNextTickAsync(_stopMaintenance.Token).ConfigureAwait(false))
            {
                if (_fault is not null)
                {
                    return;
                }

                if (batched)
                {
                    try
                    {
                        Sync();
                    }
                    catch (IOException)
                    {
                        return;
                    }
                }

                if (timedSnapshots
                    && _state.Sequence > Interlocked.Read(ref _snapshotSequence)
                    && _time.GetElapsedTime(Interlocked.Read(ref _lastSnapshotTicks)) >= _snapshotInterval)
                {
                    Interlocked.Exchange(ref _snapshotRequested, 1);
                    Wake();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private async IAsyncEnumerable<MemoryChange> WatchCoreAsync(string prefix, long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = new List<MemoryChange>(256);
        while (true)
        {
            batch.Clear();
            Task? more = _changes.Read(after, batch, 256, out _);
            foreach (MemoryChange change in batch)
            {
                after = change.Sequence;
                if (change.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return change;
                }
            }

            if (batch.Count > 0)
            {
                continue;
            }

            if (more is null)
            {
                yield break;
            }

            await more.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Fault(Exception exception, string reason)
    {
        if (Interlocked.CompareExchange(ref _fault, exception, null) is null)
        {
            FileSharedMemoryLog.Faulted(_logger, _paths.Snapshot, reason, exception);
        }
    }

    private IOException Faulted(Exception cause) =>
        new($"The shared memory at {_paths.Snapshot} stopped accepting writes after an I/O failure ({cause.Message}), so that nothing it acknowledged " +
            "is put at risk; writes in flight at that moment may or may not be on disk. Reads still work. Dispose the store, fix the cause " +
            "(a full disk, permissions, a failing device), and open it again: it recovers every write the files prove.", cause);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>What readers see: the entries and the sequence of the last write they include, replaced as one.</summary>
    private sealed record StoreState(ImmutableDictionary<string, MemoryEntry> Entries, long Sequence);

    private enum WriteKind
    {
        Set,
        CompareAndSet,
        Delete,
        Flush,
        Checkpoint,
    }

    /// <summary>A write waiting for the writer loop, and its answer.</summary>
    private sealed class WriteRequest(WriteKind kind, string key, JsonElement value, string author, long expectedVersion, CancellationToken cancellationToken)
        : TaskCompletionSource<CompareAndSetResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public WriteKind Kind { get; } = kind;

        public string Key { get; } = key;

        public JsonElement Value { get; } = value;

        public string Author { get; } = author;

        public long ExpectedVersion { get; } = expectedVersion;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        /// <summary>The answer, decided by the writer loop and given once the batch is written.</summary>
        public CompareAndSetResult? Result { get; set; }
    }
}
