using System.ClientModel;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using OpenAI;
using ParallelAgents.Sdk.Tests.TestSupport;
using Reply = ParallelAgents.Sdk.Tests.TestSupport.OpenAICompatibleServer.Reply;
using ReplyKind = ParallelAgents.Sdk.Tests.TestSupport.OpenAICompatibleServer.ReplyKind;
using ToolCall = ParallelAgents.Sdk.Tests.TestSupport.OpenAICompatibleServer.ToolCall;

namespace ParallelAgents.Sdk.Tests.Agents;

/// <summary>
/// The chat-client agent driven through the real Microsoft.Extensions.AI.OpenAI client (OpenAI 2.x over HTTP) against
/// the loopback OpenAI-compatible server: tool calls that change a real workspace, streaming, usage, HTTP 429 and 500
/// answers that the client retries, and a malformed answer that fails the attempt cleanly, with its work kept.
/// </summary>
public sealed class OpenAIEndToEndTests : IDisposable
{
    private const string Model = "e2e-model";

    private readonly GitRepository _repo = new(("README.md", "# demo\n"));
    private readonly TempFolder _transcripts = new();

    public void Dispose()
    {
        _repo.Dispose();
        _transcripts.Dispose();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_EngineWithToolCallsAnd429And500_RetriesAndMergesTheWorkWithUsage()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(
            Reply.Call("call_1", "write_file", """{"path":"src/hello.txt","content":"hello from the model\n"}"""),
            Reply.TooManyRequests(retryAfterSeconds: 0),
            Reply.ServerError(),
            Reply.Call("call_2", "finish", """{"summary":"Wrote src/hello.txt."}"""));
        using IChatClient client = CreateClient(server);
        await using AgentEngine engine = Engine(new ChatClientAgent(client, AgentOptions()));

        RunResult result = await engine.RunAsync(Plan("hello", "Write src/hello.txt."), Token);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("Wrote src/hello.txt.", result["hello"].Summary);
        Assert.Equal("hello from the model\n", _repo.Git("show", "main:src/hello.txt"));
        Assert.Equal(MergeStatus.Merged, Assert.Single(result.Merges).Status);

        IReadOnlyList<OpenAICompatibleServer.ReceivedRequest> requests = server.Requests;
        Assert.Equal([ReplyKind.Answer, ReplyKind.Status, ReplyKind.Status, ReplyKind.Answer], requests.Select(r => r.ServedWith));
        Assert.All(requests, r => Assert.Equal("Bearer e2e-key", r.Authorization));
        Assert.All(requests, r => Assert.Equal(Model, r.Json["model"]!.GetValue<string>()));
        Assert.Contains(Tools(requests[0]), name => name == "write_file");
        Assert.Contains(Tools(requests[0]), name => name == "finish");

        // The client retried the same request after the 429 and the 500; it carries the tool's result back.
        Assert.Equal(requests[1].Body, requests[2].Body);
        Assert.Equal(requests[1].Body, requests[3].Body);
        JsonArray messages = requests[3].Json["messages"]!.AsArray();
        JsonNode toolResult = messages.Last()!;
        Assert.Equal("tool", toolResult["role"]!.GetValue<string>());
        Assert.Equal("call_1", toolResult["tool_call_id"]!.GetValue<string>());
        Assert.Contains("Created src/hello.txt", Text(toolResult), StringComparison.Ordinal);

        AttemptResult attempt = Assert.Single(result["hello"].Attempts);
        Assert.Equal(new AgentUsage(40, 16, 0m, 2, 2), attempt.Usage);
        Assert.Empty(server.Errors);
        Assert.Single(_repo.Worktrees());
        _repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_Streaming_ParallelToolCallsRetried500AndUsageFromTheStream()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(
            Reply.Calls(
                [
                    new ToolCall("call_a", "write_file", """{"path":"a.txt","content":"A\n"}"""),
                    new ToolCall("call_b", "write_file", """{"path":"b.txt","content":"B\n"}"""),
                ],
                promptTokens: 30,
                completionTokens: 12),
            Reply.ServerError(),
            Reply.Answer("Wrote a.txt and b.txt.", promptTokens: 45, completionTokens: 7));
        using IChatClient client = CreateClient(server);
        ChatClientAgentOptions options = AgentOptions();
        options.UseStreaming = true;
        await using AgentEngine engine = Engine(new ChatClientAgent(client, options));

        RunResult result = await engine.RunAsync(Plan("pair", "Write a.txt and b.txt."), Token);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("Wrote a.txt and b.txt.", result["pair"].Summary);
        Assert.Equal("A\n", _repo.Git("show", "main:a.txt"));
        Assert.Equal("B\n", _repo.Git("show", "main:b.txt"));
        IReadOnlyList<OpenAICompatibleServer.ReceivedRequest> requests = server.Requests;
        Assert.Equal([ReplyKind.Answer, ReplyKind.Status, ReplyKind.Answer], requests.Select(r => r.ServedWith));
        Assert.All(requests, r => Assert.True(r.Streaming));
        Assert.Equal(
            ["call_a", "call_b"],
            requests[2].Json["messages"]!.AsArray().Where(m => m!["role"]!.GetValue<string>() == "tool").Select(m => m!["tool_call_id"]!.GetValue<string>()));
        Assert.Equal(new AgentUsage(75, 19, 0m, 2, 2), Assert.Single(result["pair"].Attempts).Usage);
        Assert.Empty(server.Errors);
        _repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_MalformedResponse_FailsTheAttemptCleanlyAndKeepsItsWork()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(
            Reply.Call("call_1", "write_file", """{"path":"draft.txt","content":"half done\n"}"""),
            Reply.MalformedBody());
        using IChatClient client = CreateClient(server);
        string main = _repo.Head("main");
        await using AgentEngine engine = Engine(new ChatClientAgent(client, AgentOptions()));

        RunResult result = await engine.RunAsync(Plan("broken", "Write draft.txt.", maxAttempts: 2), Token);

        TaskResult task = result["broken"];
        Assert.Equal(TaskState.Failed, task.State);
        AttemptResult attempt = Assert.Single(task.Attempts);
        Assert.Equal(AttemptStatus.Failed, attempt.Status);
        // System.Text.Json's reader error (a JsonException) surfaces as it is: not transient, so no second attempt.
        Assert.StartsWith("JsonReaderException: ", attempt.Error, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(0, server.RemainingCount);
        Assert.Equal(main, _repo.Head("main"));
        Assert.Empty(result.Merges);
        Assert.Equal("half done\n", _repo.Git("show", "agent/broken:draft.txt"));
        Assert.Contains("work in progress", _repo.Git("log", "-1", "--format=%s", "agent/broken"), StringComparison.Ordinal);
        Assert.Single(_repo.Worktrees());
        string transcript = File.ReadAllText(Assert.Single(Directory.GetFiles(_transcripts.Path, "*.jsonl", SearchOption.AllDirectories)));
        Assert.Contains("\"error\"", transcript, StringComparison.Ordinal);
        _repo.AssertFsckClean();
    }

    private static IChatClient CreateClient(OpenAICompatibleServer server) =>
        new OpenAI.Chat.ChatClient(Model, new ApiKeyCredential("e2e-key"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl) }).AsIChatClient();

    private ChatClientAgentOptions AgentOptions() => new() { TranscriptDirectory = _transcripts.Path };

    private AgentEngine Engine(IAgent agent) =>
        new ParallelAgentsBuilder()
            .UseRepository(_repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .WithRetry(r => { r.BaseDelay = TimeSpan.Zero; r.MaxDelay = TimeSpan.Zero; })
            .UseAgent(agent)
            .Build();

    private static TaskPlan Plan(string id, string instructions, int maxAttempts = 1) =>
        TaskPlan.Create([new AgentTask { Id = id, Instructions = instructions, MaxAttempts = maxAttempts }]);

    private static IEnumerable<string> Tools(OpenAICompatibleServer.ReceivedRequest request) =>
        request.Json["tools"]!.AsArray().Select(t => t!["function"]!["name"]!.GetValue<string>());

    private static string Text(JsonNode message) => message["content"] switch
    {
        JsonArray parts => string.Concat(parts.Select(p => p!["text"]?.GetValue<string>())),
        JsonNode content => content.GetValue<string>(),
        null => "",
    };
}
