using StackExchange.Redis;

namespace ParallelAgents.Sdk.Redis;

/// <summary>Where a <see cref="RedisSharedMemory"/> keeps its data, on top of the limits every store shares.</summary>
public sealed class RedisSharedMemoryOptions : SharedMemoryOptions
{
    /// <summary>The longest <see cref="KeyPrefix"/> accepted, in characters.</summary>
    public const int MaxKeyPrefixLength = 256;

    /// <summary>How to reach Redis, in StackExchange.Redis's configuration syntax: one or more <c>host:port</c>
    /// endpoints, then options such as <c>password=...</c>, <c>ssl=true</c> or <c>connectTimeout=2000</c>.</summary>
    /// <value>Not empty. The default is <c>localhost:6379</c>.</value>
    public string ConnectionString { get; set; } = "localhost:6379";

    /// <summary>What the names of the store's Redis keys start with, so several stores (one per run, or one per test)
    /// share a Redis without seeing each other. Stores with the same prefix on the same Redis share one memory.</summary>
    /// <value>From 1 to 256 printable characters. The default is <c>parallelagents:</c>. On Redis Cluster, put a hash
    /// tag in it, such as <c>{parallelagents}:</c>, so that the store's keys live in one slot and its scripts can
    /// reach them all.</value>
    public string KeyPrefix { get; set; } = "parallelagents:";

    /// <summary>The longest a <see cref="ISharedMemory.WatchAsync"/> stream waits for a change notification before it
    /// reads the change feed anyway. Watchers are woken by a notification published with every write, so this only
    /// bounds how late a change is seen when a notification is lost (for instance while the connection is re-made).</summary>
    /// <value>From 10 milliseconds to 1 hour. The default is 1 second.</value>
    public TimeSpan WatchPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range; the message names it.</exception>
    /// <exception cref="ArgumentException">The connection string cannot be parsed, or the key prefix is empty or has
    /// control characters; the message says which.</exception>
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("RedisSharedMemoryOptions.ConnectionString must name a Redis endpoint, such as 'localhost:6379'.", nameof(ConnectionString));
        }

        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(ConnectionString);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"RedisSharedMemoryOptions.ConnectionString could not be read: {ex.Message} Use 'host:port', optionally followed by options such as ',password=...'.", nameof(ConnectionString), ex);
        }

        if (configuration.EndPoints.Count == 0)
        {
            throw new ArgumentException("RedisSharedMemoryOptions.ConnectionString names no endpoint; start it with 'host:port', such as 'localhost:6379'.", nameof(ConnectionString));
        }

        if (string.IsNullOrEmpty(KeyPrefix))
        {
            throw new ArgumentException("RedisSharedMemoryOptions.KeyPrefix must not be empty; it keeps the store's keys apart from everything else in Redis. The default is 'parallelagents:'.", nameof(KeyPrefix));
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(KeyPrefix.Length, MaxKeyPrefixLength, nameof(KeyPrefix));
        foreach (char c in KeyPrefix)
        {
            if (char.IsControl(c))
            {
                throw new ArgumentException($"RedisSharedMemoryOptions.KeyPrefix contains a control character (U+{(int)c:X4}); use printable text such as 'parallelagents:'.", nameof(KeyPrefix));
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(WatchPollInterval, TimeSpan.FromMilliseconds(10), nameof(WatchPollInterval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WatchPollInterval, TimeSpan.FromHours(1), nameof(WatchPollInterval));
    }
}
