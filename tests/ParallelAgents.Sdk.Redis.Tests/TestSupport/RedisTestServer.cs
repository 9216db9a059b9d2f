using StackExchange.Redis;

namespace ParallelAgents.Sdk.Redis.Tests.TestSupport;

/// <summary>
/// The real redis-server the tests run against: <c>PARALLELAGENTS_REDIS</c> (default <c>127.0.0.1:6379</c>). Without
/// one a test is skipped with the reason, unless <c>PARALLELAGENTS_REQUIRE_ENGINES=1</c> (as in CI), where it fails.
/// </summary>
internal static class RedisTestServer
{
    public static string Address { get; } =
        Environment.GetEnvironmentVariable("PARALLELAGENTS_REDIS") is { Length: > 0 } address ? address : "127.0.0.1:6379";

    private static bool Required => Environment.GetEnvironmentVariable("PARALLELAGENTS_REQUIRE_ENGINES") == "1";

    private static readonly Lazy<Task<ConnectionMultiplexer?>> Admin = new(ConnectAdminAsync);

    private static string? _unavailableReason;

    /// <summary>Returns the address of a Redis that answers, or skips (fails in CI) the test.</summary>
    public static async Task<string> RequireAsync()
    {
        ConnectionMultiplexer? admin = await Admin.Value;
        if (admin is null)
        {
            string reason = $"No Redis answered at {Address} (set PARALLELAGENTS_REDIS, or start one: redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save ''). {_unavailableReason}";
            if (Required)
            {
                Assert.Fail("PARALLELAGENTS_REQUIRE_ENGINES=1, so this Redis test cannot be skipped. " + reason);
            }

            Assert.Skip(reason);
        }

        return Address;
    }

    /// <summary>A key prefix no other test uses, so tests run side by side on one Redis.</summary>
    public static string NewPrefix() => $"pa-test:{Guid.NewGuid():N}:";

    /// <summary>Options for a store of its own on the test Redis.</summary>
    public static RedisSharedMemoryOptions Options(string prefix, SharedMemoryOptions? limits = null)
    {
        limits ??= new SharedMemoryOptions();
        return new RedisSharedMemoryOptions
        {
            ConnectionString = Address,
            KeyPrefix = prefix,
            MaxKeyLength = limits.MaxKeyLength,
            MaxValueBytes = limits.MaxValueBytes,
            RetainedChanges = limits.RetainedChanges,
            TimeProvider = limits.TimeProvider,
        };
    }

    /// <summary>The admin connection, to look at the keys a store made.</summary>
    public static async Task<IDatabase> DatabaseAsync()
    {
        await RequireAsync();
        return (await Admin.Value)!.GetDatabase();
    }

    /// <summary>Deletes every key that starts with the prefix.</summary>
    public static async Task DeleteKeysAsync(string prefix)
    {
        if (await Admin.Value is not { } admin)
        {
            return;
        }

        IDatabase database = admin.GetDatabase();
        foreach (IServer server in admin.GetServers())
        {
            await foreach (RedisKey key in server.KeysAsync(pattern: prefix + "*", pageSize: 1000))
            {
                await database.KeyDeleteAsync(key);
            }
        }
    }

    private static async Task<ConnectionMultiplexer?> ConnectAdminAsync()
    {
        try
        {
            var configuration = ConfigurationOptions.Parse(Address);
            configuration.ConnectTimeout = 2000;
            configuration.AllowAdmin = true;
            ConnectionMultiplexer connection = await ConnectionMultiplexer.ConnectAsync(configuration);
            await connection.GetDatabase().PingAsync();
            return connection;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _unavailableReason = ex.Message;
            return null;
        }
    }
}
