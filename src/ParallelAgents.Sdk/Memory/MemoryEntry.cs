using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>A value in the shared memory, with who wrote it, when, and its version.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The JSON value.</param>
/// <param name="Version">The sequence number of the write that made this entry: increasing per key, never reused.</param>
/// <param name="Author">Who wrote it: an agent or task id.</param>
/// <param name="Timestamp">When it was written, from the store's <see cref="TimeProvider"/>.</param>
public sealed record MemoryEntry(string Key, JsonElement Value, long Version, string Author, DateTimeOffset Timestamp)
{
    /// <summary>Reads the value as <typeparamref name="T"/> with System.Text.Json.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="options">The serializer options; the default uses <see cref="JsonSerializerDefaults.Web"/>.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonException">The value does not fit <typeparamref name="T"/>.</exception>
    public T? GetValue<T>(JsonSerializerOptions? options = null) =>
        Value.Deserialize<T>(options ?? SharedMemoryJson.Options);
}
