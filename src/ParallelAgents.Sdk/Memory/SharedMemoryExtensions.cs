using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>Typed helpers over <see cref="ISharedMemory"/>, with System.Text.Json (web defaults: camelCase).</summary>
public static class SharedMemoryExtensions
{
    /// <summary>Gets the value stored under <paramref name="key"/> as <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="memory">The store.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The value, or <see langword="default"/> when the key has none.</returns>
    /// <exception cref="JsonException">The stored value does not fit <typeparamref name="T"/>.</exception>
    public static async ValueTask<T?> GetValueAsync<T>(this ISharedMemory memory, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(memory);
        MemoryEntry? entry = await memory.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return entry is null ? default : entry.GetValue<T>();
    }

    /// <summary>Stores <paramref name="value"/>, serialized to JSON, under <paramref name="key"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="memory">The store.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="author">Who writes: an agent or task id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The new entry.</returns>
    public static ValueTask<MemoryEntry> SetValueAsync<T>(this ISharedMemory memory, string key, T value, string author, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return memory.SetAsync(key, JsonSerializer.SerializeToElement(value, SharedMemoryJson.Options), author, cancellationToken);
    }

    /// <summary>Shares a discovery under <c>discoveries/&lt;name&gt;</c> (such as the schema's tables or the API's routes).</summary>
    /// <typeparam name="T">The discovery's type.</typeparam>
    /// <param name="memory">The store.</param>
    /// <param name="name">The discovery's name.</param>
    /// <param name="discovery">What was discovered.</param>
    /// <param name="author">Who discovered it.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The new entry.</returns>
    public static ValueTask<MemoryEntry> ReportDiscoveryAsync<T>(this ISharedMemory memory, string name, T discovery, string author, CancellationToken cancellationToken = default) =>
        memory.SetValueAsync(SharedMemoryKeys.Discovery(name), discovery, author, cancellationToken);

    /// <summary>Reports a conflict under <c>conflicts/&lt;name&gt;</c>.</summary>
    /// <param name="memory">The store.</param>
    /// <param name="name">The conflict's name.</param>
    /// <param name="conflict">The conflict.</param>
    /// <param name="author">Who reports it.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The new entry.</returns>
    public static ValueTask<MemoryEntry> ReportConflictAsync(this ISharedMemory memory, string name, ConflictReport conflict, string author, CancellationToken cancellationToken = default) =>
        memory.SetValueAsync(SharedMemoryKeys.Conflict(name), conflict, author, cancellationToken);

    /// <summary>Sets an agent's status under <c>status/&lt;agent&gt;</c>.</summary>
    /// <param name="memory">The store.</param>
    /// <param name="agent">The agent or task id; it is also the author.</param>
    /// <param name="status">The status.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The new entry.</returns>
    public static ValueTask<MemoryEntry> SetStatusAsync(this ISharedMemory memory, string agent, AgentStatusReport status, CancellationToken cancellationToken = default) =>
        memory.SetValueAsync(SharedMemoryKeys.Status(agent), status, agent, cancellationToken);

    /// <summary>Lists the discoveries agents have shared.</summary>
    /// <param name="memory">The store.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The entries under <c>discoveries/</c>.</returns>
    public static ValueTask<IReadOnlyList<MemoryEntry>> ListDiscoveriesAsync(this ISharedMemory memory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return memory.ListAsync(SharedMemoryKeys.DiscoveriesPrefix, cancellationToken);
    }

    /// <summary>Lists the conflicts reported or predicted.</summary>
    /// <param name="memory">The store.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The entries under <c>conflicts/</c>.</returns>
    public static ValueTask<IReadOnlyList<MemoryEntry>> ListConflictsAsync(this ISharedMemory memory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return memory.ListAsync(SharedMemoryKeys.ConflictsPrefix, cancellationToken);
    }
}
