using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using ParallelAgents.Sdk.Testing.Tests.TestSupport;

namespace ParallelAgents.Sdk.Testing.Tests;

public sealed partial class RecordingChatClientTests
{
    [Fact]
    public async Task GetResponseAsync_ToolCallSession_WritesEachRoundTripAsAnExchange()
    {
        using var folder = new TempFolder();
        var calculator = new Calculator();
        var live = new ScriptedChatClient()
            .EnqueueFunctionCall("add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 })
            .Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "5"))
            {
                ModelId = "test-model-2025",
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 12, OutputTokenCount = 1, TotalTokenCount = 13 },
            });
        var recorder = new RecordingChatClient(live, folder.File("session.json"));
        using IChatClient client = new ChatClientBuilder(recorder).UseFunctionInvocation().Build();

        await client.GetResponseAsync("What is 2 + 3?", calculator.Options, TestContext.Current.CancellationToken);

        ChatCassette cassette = ChatCassette.Load(recorder.CassettePath);
        Assert.Equal(2, recorder.RecordedCount);
        Assert.Equal(2, cassette.Exchanges.Count);
        ChatExchange first = cassette.Exchanges[0];
        Assert.False(first.Streaming);
        Assert.Equal("What is 2 + 3?", first.Request.Messages.Single().Contents.Single().Text);
        ChatCassetteTool tool = Assert.Single(first.Request.Options!.Tools!);
        Assert.Equal("add", tool.Name);
        Assert.Equal("Adds two integers.", tool.Description);
        Assert.Equal("integer", tool.JsonSchema!.Value.GetProperty("properties").GetProperty("a").GetProperty("type").GetString());
        Assert.Equal("test-model", first.Request.Options.ModelId);
        Assert.Equal(0.2f, first.Request.Options.Temperature);
        ChatCassetteContent call = first.Response.Messages.Single().Contents.Single();
        Assert.Equal(ChatCassetteContent.FunctionCallType, call.Type);
        Assert.Equal("""{"a":2,"b":3}""", JsonSerializer.Serialize(call.Arguments!.Value));
        Assert.Equal("tool_calls", first.Response.FinishReason);

        ChatExchange second = cassette.Exchanges[1];
        ChatCassetteContent result = second.Request.Messages[2].Contents.Single();
        Assert.Equal("tool", second.Request.Messages[2].Role);
        Assert.Equal(ChatCassetteContent.FunctionResultType, result.Type);
        Assert.Equal(JsonValueKind.Number, result.Result!.Value.ValueKind);
        Assert.Equal(5, result.Result.Value.GetInt32());
        Assert.Equal("test-model-2025", second.Response.ModelId);
        Assert.Equal("stop", second.Response.FinishReason);
        Assert.Equal(13, second.Response.Usage!.TotalTokenCount);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_StreamedAnswer_RecordsTheCombinedResponse()
    {
        using var folder = new TempFolder();
        var live = new ScriptedChatClient(new ChatResponse(
        [
            new ChatMessage(ChatRole.Assistant, [new TextContent("Hello, "), new TextContent("world.")]),
        ])
        {
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 3, OutputTokenCount = 4, TotalTokenCount = 7 },
        });
        var recorder = new RecordingChatClient(live, folder.File("stream.json"));

        string streamed = string.Concat(await recorder.GetStreamingResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken)
            .Select(u => u.Text).ToListAsync(TestContext.Current.CancellationToken));

        ChatExchange exchange = Assert.Single(ChatCassette.Load(recorder.CassettePath).Exchanges);
        Assert.Equal("Hello, world.", streamed);
        Assert.True(exchange.Streaming);
        Assert.Equal("Hello, world.", string.Concat(exchange.Response.Messages.SelectMany(m => m.Contents).Select(c => c.Text)));
        Assert.Equal(7, exchange.Response.Usage!.TotalTokenCount);
        Assert.Equal("stop", exchange.Response.FinishReason);
    }

    [Fact]
    public async Task Constructor_ExistingCassette_IsReplacedByThisSession()
    {
        using var folder = new TempFolder();
        string path = folder.File("nested/dir/c.json");
        var first = new RecordingChatClient(new ScriptedChatClient().EnqueueText("old"), path);
        await first.GetResponseAsync("old question", cancellationToken: TestContext.Current.CancellationToken);

        _ = new RecordingChatClient(new ScriptedChatClient(), path);

        Assert.Empty(ChatCassette.Load(path).Exchanges);
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public async Task GetResponseAsync_SecretsEverywhere_NeverReachTheCassetteFile()
    {
        using var folder = new TempFolder();
        const string ApiKey = "sk-live-0123456789abcdef\"quote\\slash";
        const string Password = "hunter2-päss";
        var live = new ScriptedChatClient()
            .EnqueueFunctionCall("login", new Dictionary<string, object?> { ["token"] = ApiKey, ["nested"] = new Dictionary<string, object?> { [ApiKey] = Password } })
            .Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, $"Logged in with {ApiKey}; token ghp_abcdefghijklmnop1234 noted.")) { ModelId = "m" });
        var options = new RecordingChatClientOptions { Redact = text => GitHubToken().Replace(text, "[GITHUB TOKEN]") };
        options.Secrets.Add(ApiKey);
        options.Secrets.Add(Password);
        options.Secrets.Add(null);
        options.Secrets.Add(string.Empty);
        var recorder = new RecordingChatClient(live, folder.File("secret.json"), options);
        AIFunction login = AIFunctionFactory.Create((string token) => $"welcome, {Password}", "login", $"Logs in. Key: {ApiKey}");
        using IChatClient client = new ChatClientBuilder(recorder).UseFunctionInvocation().Build();

        ChatResponse response = await client.GetResponseAsync(
            [new(ChatRole.System, $"The key is {ApiKey}."), new(ChatRole.User, $"Log in as me, password {Password}")],
            new ChatOptions { Tools = [login], Instructions = $"Never print {ApiKey}" },
            TestContext.Current.CancellationToken);

        string file = await File.ReadAllTextAsync(recorder.CassettePath, TestContext.Current.CancellationToken);
        string unescaped = JsonSerializer.Deserialize<JsonElement>(file).ToString();
        Assert.Contains(ApiKey, response.Text, StringComparison.Ordinal);
        foreach (string secret in new[] { ApiKey, Password, "sk-live-0123456789abcdef", "hunter2", "ghp_abcdefghijklmnop1234" })
        {
            Assert.DoesNotContain(secret, file, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, unescaped, StringComparison.Ordinal);
            Assert.DoesNotContain(JsonSerializer.Serialize(secret).Trim('"'), file, StringComparison.Ordinal);
        }

        Assert.Contains("[REDACTED]", file, StringComparison.Ordinal);
        Assert.Contains("[GITHUB TOKEN]", file, StringComparison.Ordinal);
        Assert.Equal(2, ChatCassette.Load(recorder.CassettePath).Exchanges.Count);
    }

    [GeneratedRegex("ghp_[A-Za-z0-9]+")]
    private static partial Regex GitHubToken();
}
