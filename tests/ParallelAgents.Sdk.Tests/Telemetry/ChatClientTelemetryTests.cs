using System.Diagnostics;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Telemetry;

public sealed class ChatClientTelemetryTests
{
    [Fact]
    public async Task RunAsync_ChatClientAgent_ModelToolAndCheckSpansNestUnderTheAttempt()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: hello
                instructions: write hello.txt
                checks: ["test -f hello.txt"]
            """);
        var client = new FakeChatClient()
            .Call("write_file", new { path = "hello.txt", content = "hello\n" }, inputTokens: 100, outputTokens: 20)
            .Text("wrote hello.txt", inputTokens: 150, outputTokens: 10);
        using var spans = new ActivityRecorder();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseChatClient(client)
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        Activity attempt = Assert.Single(spans.Named("invoke_agent"));
        IReadOnlyList<Activity> chats = spans.Named("chat");
        Assert.Equal(2, chats.Count);
        Assert.All(chats, c => Assert.Equal(attempt.SpanId, c.ParentSpanId));
        Assert.Equal(250L, chats.Sum(c => (long)c.GetTagItem("gen_ai.usage.input_tokens")!));
        Activity tool = Assert.Single(spans.Named("execute_tool"));
        Assert.Equal("write_file", tool.GetTagItem("gen_ai.tool.name"));
        Assert.Equal(attempt.SpanId, tool.ParentSpanId);
        Activity check = Assert.Single(spans.Named("parallel_agents.command"));
        Assert.Equal("test -f hello.txt", check.GetTagItem("process.command_line"));
        Assert.Equal(attempt.SpanId, check.ParentSpanId);
        Assert.All(spans.Stopped.Where(s => s.OperationName != "parallel_agents.run"), s => Assert.True(s.StartTimeUtc >= attempt.StartTimeUtc));
        Assert.Single(spans.Named("parallel_agents.merge"));
        Assert.Single(spans.Named("parallel_agents.workspace"));
    }
}
