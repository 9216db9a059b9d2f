using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Agents;

public sealed class ChatClientAgentEngineTests
{
    [Fact]
    public async Task Engine_Run_AgentLogsCarryTheTaskIdAndSummaryReachesTheResult()
    {
        var client = new FakeChatClient();
        client.Call("write_file", new { path = "a.txt", content = "a" }).Call("finish", new { summary = "wrote a.txt" });
        var logs = new ListLoggerFactory();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(new ChatClientAgent(client, new ChatClientAgentOptions { TranscriptDirectory = null }))
            .UseIsolation(new TempDirectoryProvider("worktree"))
            .UseLoggerFactory(logs)
            .Build();

        RunResult result = await engine.RunAsync(Plans.Of(Plans.Work("api")), TestContext.Current.CancellationToken);

        TaskResult task = Assert.Single(result.Tasks);
        Assert.True(task.Succeeded, task.ToString());
        Assert.Equal("wrote a.txt", task.Summary);
        ListLoggerFactory.Entry done = Assert.Single(logs.Entries, e => e.Message.StartsWith("Agent done after 2 turns", StringComparison.Ordinal));
        Assert.Contains(done.Scopes, s => s.Contains("task api attempt 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChatClientError_Propagates_AndIsRecordedInTheTranscript()
    {
        await using var h = AgentHarness.Create();
        h.Client.Call("list_files").Then((_, _) => throw new HttpRequestException("503 from the model service"));

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => h.RunAsync());

        Assert.Equal("503 from the model service", e.Message);
        var last = h.Transcript()[^1];
        Assert.Equal("error", last.GetProperty("type").GetString());
        Assert.Equal("HttpRequestException: 503 from the model service", last.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Cancellation_DuringAToolCall_PropagatesInsteadOfBecomingAToolError()
    {
        await using var h = AgentHarness.Create();
        using var cts = new CancellationTokenSource();
        h.Workspace.OnExecute = _ => cts.Cancel();
        h.Client.Call("run_command", new { command = "sleep 30" }).Text("never reached");
        var agent = new ChatClientAgent(h.Client, h.Options);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => agent.RunAsync(
            new AgentContext { RunId = "r", Task = h.Task(), Workspace = h.Workspace }, cts.Token).AsTask());
    }
}
