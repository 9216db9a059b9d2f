namespace ParallelAgents.Sdk.Redis;

/// <summary>
/// Thrown when no Redis server answers at the endpoints of <see cref="RedisSharedMemoryOptions.ConnectionString"/>:
/// start <c>redis-server</c> there, or point the connection string at a Redis that runs.
/// </summary>
public sealed class RedisUnavailableException : Exception
{
    /// <summary>Creates the exception for the endpoints tried.</summary>
    /// <param name="endpoints">The endpoints tried, as <c>host:port</c>.</param>
    /// <param name="innerException">What the Redis client reported.</param>
    public RedisUnavailableException(IReadOnlyList<string> endpoints, Exception? innerException)
        : base(FormatMessage(endpoints, innerException), innerException)
    {
        Endpoints = endpoints;
    }

    /// <summary>Creates the exception.</summary>
    public RedisUnavailableException()
        : base("No Redis server answered. Start redis-server, or set RedisSharedMemoryOptions.ConnectionString to a Redis that runs.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public RedisUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public RedisUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The endpoints tried, as <c>host:port</c>.</summary>
    public IReadOnlyList<string> Endpoints { get; } = [];

    private static string FormatMessage(IReadOnlyList<string> endpoints, Exception? innerException)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        string where = endpoints.Count == 0 ? "the configured endpoint" : string.Join(", ", endpoints);
        string port = PortOf(endpoints);
        string cause = innerException is null ? string.Empty : $" The Redis client said: {innerException.Message}";
        return $"No Redis server answered at {where}. Start one there (for instance 'redis-server --port {port} --bind 127.0.0.1 --daemonize yes'), "
            + $"or set RedisSharedMemoryOptions.ConnectionString to the 'host:port' of a Redis that runs.{cause}";
    }

    private static string PortOf(IReadOnlyList<string> endpoints)
    {
        if (endpoints.Count > 0)
        {
            string first = endpoints[0];
            int colon = first.LastIndexOf(':');
            if (colon >= 0 && colon < first.Length - 1)
            {
                return first[(colon + 1)..];
            }
        }

        return "6379";
    }
}
