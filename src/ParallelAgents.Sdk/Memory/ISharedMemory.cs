using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>
/// The store through which agents share what they learn: versioned JSON values under string keys, compare-and-set,
/// a consistent snapshot and a change feed in commit order.
/// </summary>
/// <remarks>
/// <para>Every successful write (set or delete) gets the next number of one global sequence, with no gaps; the entry's
/// <see cref="MemoryEntry.Version"/> is the sequence number of the write that made it, so versions increase per key
/// and a value deleted and written again never reuses a version. <see cref="WatchAsync"/> yields the changes in that
/// order and can resume from any sequence number the store still retains.</para>
/// <para>Well-known sections (see <see cref="SharedMemoryKeys"/>): <c>status/&lt;agent&gt;</c>,
/// <c>discoveries/&lt;name&gt;</c> and <c>conflicts/&lt;name&gt;</c>, with typed helpers in
/// <see cref="SharedMemoryExtensions"/>.</para>
/// </remarks>
public interface ISharedMemory : IAsyncDisposable
{
    /// <summary>Gets the entry stored under <paramref name="key"/>.</summary>
    /// <param name="key">The key (see <see cref="SharedMemoryOptions.MaxKeyLength"/>).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The entry, or <see langword="null"/> when the key has no value.</returns>
    /// <exception cref="ArgumentException">The key is empty, too long or contains control characters.</exception>
    ValueTask<MemoryEntry?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, whatever was there.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The JSON value; it is copied, so the caller's document may be disposed afterwards.</param>
    /// <param name="author">Who writes: an agent or task id.</param>
    /// <param name="cancellationToken">Cancels the write before it is committed.</param>
    /// <returns>The new entry.</returns>
    /// <exception cref="ArgumentException">The key or author is invalid, or the value is larger than
    /// <see cref="SharedMemoryOptions.MaxValueBytes"/>.</exception>
    ValueTask<MemoryEntry> SetAsync(string key, JsonElement value, string author, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> only if the key's current version is <paramref name="expectedVersion"/>;
    /// linearizable per key.</summary>
    /// <param name="key">The key.</param>
    /// <param name="expectedVersion">The version the caller last saw, or 0 to write only if the key has no value.</param>
    /// <param name="value">The JSON value.</param>
    /// <param name="author">Who writes.</param>
    /// <param name="cancellationToken">Cancels the write before it is committed.</param>
    /// <returns>Whether the write won; on a lost race, the current entry (or none) to retry from.</returns>
    ValueTask<CompareAndSetResult> CompareAndSetAsync(string key, long expectedVersion, JsonElement value, string author, CancellationToken cancellationToken = default);

    /// <summary>Removes the value stored under <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="author">Who deletes.</param>
    /// <param name="cancellationToken">Cancels the delete before it is committed.</param>
    /// <returns><see langword="true"/> when there was a value to delete (the delete is then a change in the feed).</returns>
    ValueTask<bool> DeleteAsync(string key, string author, CancellationToken cancellationToken = default);

    /// <summary>Lists the entries whose keys start with <paramref name="prefix"/>, ordered by key (ordinal).</summary>
    /// <param name="prefix">The prefix, such as <c>discoveries/</c>; empty lists everything.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The entries, all from one consistent point in time.</returns>
    ValueTask<IReadOnlyList<MemoryEntry>> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Takes every entry at one consistent point in time.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The snapshot and the sequence number it stands at, from which <see cref="WatchAsync"/> can continue.</returns>
    ValueTask<MemorySnapshot> SnapshotAsync(CancellationToken cancellationToken = default);

    /// <summary>Streams the changes to keys that start with <paramref name="prefix"/>, in commit order.</summary>
    /// <param name="prefix">The prefix; empty watches everything.</param>
    /// <param name="fromSequence">Yield the changes after this sequence number (pass the last one seen to resume, or
    /// <see cref="MemorySnapshot.Sequence"/> to continue after a snapshot); <see langword="null"/> starts with the next
    /// change committed after the call.</param>
    /// <param name="cancellationToken">Ends the stream.</param>
    /// <returns>The changes, with increasing sequence numbers; the stream ends when the store is disposed. Cancelling
    /// the token stops it; as with any cancelled async enumeration, that may surface as an
    /// <see cref="OperationCanceledException"/>.</returns>
    /// <exception cref="ChangeFeedTruncatedException">Changes after <paramref name="fromSequence"/> are no longer retained;
    /// take a snapshot and watch from its sequence instead.</exception>
    IAsyncEnumerable<MemoryChange> WatchAsync(string prefix, long? fromSequence = null, CancellationToken cancellationToken = default);
}
