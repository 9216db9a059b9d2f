using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>A value in the shared memory, with who wrote it, when, and its version.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The JSON value.</param>
/// <param name="Version">The sequence number of the write that made this entry: increasing per key, never reused.</param>
/// <param name="Author">Who wrote it: an agent or task id.</param>
/// <param name="Timestamp">When it was written, from the store's <see cref="TimeProvider"/>.</param>
/// <remarks>Two entries are equal when their key, version, author, timestamp and JSON text are equal, whichever read or
/// store produced them (a <see cref="JsonElement"/> alone compares by the document it points into).</remarks>
public sealed record MemoryEntry(string Key, JsonElement Value, long Version, string Author, DateTimeOffset Timestamp)
{
    /// <summary>Compares by key, version, author, timestamp and the value's JSON text.</summary>
    /// <param name="other">The other entry.</param>
    /// <returns><see langword="true"/> when both describe the same write.</returns>
    public bool Equals(MemoryEntry? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (Version == other.Version
                && string.Equals(Key, other.Key, StringComparison.Ordinal)
                && string.Equals(Author, other.Author, StringComparison.Ordinal)
                && Timestamp == other.Timestamp
                && string.Equals(Value.GetRawText(), other.Value.GetRawText(), StringComparison.Ordinal)));

    /// <summary>A hash of the key and version, which name one write.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(Key), Version);

    /// <summary>Reads the value as <typeparamref name="T"/> with System.Text.Json.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="options">The serializer options; the default uses <see cref="JsonSerializerDefaults.Web"/>.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonException">The value does not fit <typeparamref name="T"/>.</exception>
    public T? GetValue<T>(JsonSerializerOptions? options = null) =>
        Value.Deserialize<T>(options ?? SharedMemoryJson.Options);
}
