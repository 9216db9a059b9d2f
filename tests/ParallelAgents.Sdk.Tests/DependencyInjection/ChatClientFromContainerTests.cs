using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.DependencyInjection;

/// <summary>The engine's AI coding agents over the IChatClient of the container: unkeyed, keyed, or a pipeline that
/// already invokes functions.</summary>
public class ChatClientFromContainerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TaskPlan OneTask = TaskPlan.Parse("tasks:\n  - id: feature\n    instructions: write the feature\n");

    private static async Task<RunResult> RunAsync(GitRepository repo, Action<IServiceCollection> register, Action<IParallelAgentsBuilder>? use = null)
    {
        var services = new ServiceCollection();
        register(services);
        IParallelAgentsBuilder builder = services.AddParallelAgents(o =>
        {
            // Reports, and so the agents' transcripts, go under the temporary repository.
            o.RepositoryPath = repo.Path;
            o.Model = "model-from-options";
        });
        use?.Invoke(builder);
        await using ServiceProvider provider = services.BuildServiceProvider();
        return await provider.GetRequiredService<AgentEngine>().RunAsync(OneTask, Ct);
    }

    [Fact]
    public async Task AddParallelAgents_UnkeyedChatClientRegistered_AgentsUseItWithTheOptionsModel()
    {
        using var repo = new GitRepository();
        var client = new FakeChatClient().Text("Nothing to change: the feature is there.");

        RunResult result = await RunAsync(repo, s => s.AddChatClient(client));

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("model-from-options", Assert.Single(client.Requests).Options!.ModelId);
        Assert.Contains(client.Requests[0].Options!.Tools!, t => t.Name == "write_file");
    }

    [Fact]
    public async Task UseChatClient_ServiceKey_AgentsUseTheKeyedClient()
    {
        using var repo = new GitRepository();
        var unkeyed = new FakeChatClient();
        var keyed = new FakeChatClient().Text("done");

        RunResult result = await RunAsync(
            repo,
            s =>
            {
                s.AddChatClient(unkeyed);
                s.AddKeyedChatClient("agents", keyed);
            },
            b => b.UseChatClient(serviceKey: "agents", configure: o => o.ChatOptions = new ChatOptions { ModelId = "model-from-code" }));

        Assert.True(result.Succeeded, result.ToString());
        Assert.Empty(unkeyed.Requests);
        Assert.Equal("model-from-code", Assert.Single(keyed.Requests).Options!.ModelId);
    }

    [Fact]
    public async Task UseChatClient_KeyNotRegistered_ListedWithTheOtherProblems()
    {
        var services = new ServiceCollection();
        services.AddChatClient(new FakeChatClient());
        services.AddParallelAgents(o => o.MaxParallelAgents = 0).UseChatClient(serviceKey: "agents");
        await using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<ParallelAgentsConfigurationException>(() => provider.GetRequiredService<AgentEngine>());

        // The unkeyed client does not stand in for the missing keyed one.
        Assert.Equal(2, ex.Problems.Count);
        Assert.StartsWith("No IChatClient is registered with the key 'agents'", ex.Problems[0], StringComparison.Ordinal);
        Assert.Contains("MaxParallelAgents", ex.Problems[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddParallelAgents_ClientAlreadyInvokesFunctions_TheAgentInvokesEachToolOnce()
    {
        using var repo = new GitRepository();
        var client = new FakeChatClient();
        client.Call("write_file", new { path = "feature.txt", content = "feature\n" }).Call("finish", new { summary = "wrote the feature" });

        // The container's pipeline has its own function invocation, as services.AddChatClient(...).UseFunctionInvocation() makes.
        RunResult result = await RunAsync(repo, s => s.AddChatClient(client).UseFunctionInvocation());

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("wrote the feature", result["feature"].Summary);
        Assert.Equal(2, client.Requests.Count);
        Assert.Equal(0, client.Remaining);
        Assert.Equal("feature\n", repo.Git("show", "main:feature.txt"));
    }
}
