namespace ParallelAgents.Sdk.Tests;

public class SmokeTests
{
    [Fact]
    public async Task RunAsync_SingleTask_Succeeds()
    {
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success("done")))
            .Build();
        RunResult result = await engine.RunAsync(TaskPlan.Create([new AgentTask { Id = "a", Instructions = "do" }]), TestContext.Current.CancellationToken);
        Assert.True(result.Succeeded);
    }
}
