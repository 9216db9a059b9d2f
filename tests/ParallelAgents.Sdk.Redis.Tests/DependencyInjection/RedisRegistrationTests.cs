using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ParallelAgents.Sdk.Redis.Tests.TestSupport;

namespace ParallelAgents.Sdk.Redis.Tests.DependencyInjection;

/// <summary>services.AddParallelAgents().UseRedisSharedMemory(...) on a real redis-server.</summary>
public class RedisRegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Func<AgentContext, CancellationToken, ValueTask<AgentOutcome>> Succeed =
        (_, _) => ValueTask.FromResult(AgentOutcome.Success());

    [Fact]
    public async Task UseRedisSharedMemory_RedisAnswers_TheEngineSharesItsMemoryThroughRedis()
    {
        string address = await RedisTestServer.RequireAsync();
        string prefix = RedisTestServer.NewPrefix();
        try
        {
            var services = new ServiceCollection();
            services.AddParallelAgents().UseAgent(async (context, ct) =>
            {
                await context.Memory!.SetAsync("discoveries/" + context.Task.Id, JsonDocument.Parse("true").RootElement, context.Task.Id, ct);
                return AgentOutcome.Success();
            }).UseRedisSharedMemory(address, o => o.KeyPrefix = prefix);
            await using (ServiceProvider provider = services.BuildServiceProvider())
            {
                AgentEngine engine = provider.GetRequiredService<AgentEngine>();
                Assert.IsType<RedisSharedMemory>(engine.SharedMemory);
                RunResult result = await engine.RunAsync(TaskPlan.Parse("tasks:\n  - id: a\n    instructions: x\n"), Ct);
                Assert.True(result.Succeeded, result.ToString());
            }

            // Another store on the same prefix sees what the agent wrote: the memory lives in Redis.
            await using RedisSharedMemory reader = await RedisSharedMemory.ConnectAsync(RedisTestServer.Options(prefix), Ct);
            Assert.NotNull(await reader.GetAsync("discoveries/a", Ct));
        }
        finally
        {
            await RedisTestServer.DeleteKeysAsync(prefix);
        }
    }

    [Fact]
    public async Task UseRedisSharedMemory_NothingListens_ListedWithTheOtherProblems()
    {
        // A port that was free a moment ago: nothing answers there.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var services = new ServiceCollection();
        services.AddParallelAgents(o => o.MaxParallelAgents = 0)
            .UseAgent(Succeed)
            .UseRedisSharedMemory($"127.0.0.1:{port},connectTimeout=500");
        await using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<ParallelAgentsConfigurationException>(() => provider.GetRequiredService<AgentEngine>());

        Assert.Equal(2, ex.Problems.Count);
        Assert.StartsWith("The shared memory cannot be opened:", ex.Problems[0], StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", ex.Problems[0], StringComparison.Ordinal);
        Assert.Contains("MaxParallelAgents", ex.Problems[1], StringComparison.Ordinal);
    }
}
