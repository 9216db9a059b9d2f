using Microsoft.Extensions.AI;
using ParallelAgents.Sdk.Testing.Tests.TestSupport;

namespace ParallelAgents.Sdk.Testing.Tests;

public sealed class ReplayChatClientTests
{
    private static readonly CancellationToken Token = TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetResponseAsync_RecordedToolSession_ReplaysToTheSameConversationAndReRecordsToTheSameFile()
    {
        using var folder = new TempFolder();
        (ChatResponse live, string cassettePath) = await RecordCalculatorSessionAsync(folder, streaming: false);

        var calculator = new Calculator();
        var replay = new ReplayChatClient(cassettePath);
        var reRecorder = new RecordingChatClient(replay, folder.File("again.json"));
        using IChatClient client = new ChatClientBuilder(reRecorder).UseFunctionInvocation().Build();
        ChatResponse replayed = await client.GetResponseAsync(CalculatorQuestion(), calculator.Options, Token);

        Assert.Equal(live.Text, replayed.Text);
        Assert.Equal(
            live.Messages.Select(m => (m.Role, m.Text, Calls: string.Join(",", m.Contents.OfType<FunctionCallContent>().Select(c => c.Name)))),
            replayed.Messages.Select(m => (m.Role, m.Text, Calls: string.Join(",", m.Contents.OfType<FunctionCallContent>().Select(c => c.Name)))));
        Assert.Equal(live.Usage?.TotalTokenCount, replayed.Usage?.TotalTokenCount);
        Assert.Equal(1, calculator.Calls);
        Assert.Equal(2, replay.PlayedCount);
        Assert.Equal(0, replay.RemainingCount);
        replay.VerifyAllPlayed();
        Assert.Equal(await File.ReadAllTextAsync(cassettePath, Token), await File.ReadAllTextAsync(reRecorder.CassettePath, Token));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_RecordedStreamingSession_ReplaysTheSameStream()
    {
        using var folder = new TempFolder();
        (ChatResponse live, string cassettePath) = await RecordCalculatorSessionAsync(folder, streaming: true);
        Assert.All(ChatCassette.Load(cassettePath).Exchanges, e => Assert.True(e.Streaming));

        var calculator = new Calculator();
        var replay = new ReplayChatClient(cassettePath);
        using IChatClient client = new ChatClientBuilder(replay).UseFunctionInvocation().Build();
        List<ChatResponseUpdate> updates = await client.GetStreamingResponseAsync(CalculatorQuestion(), calculator.Options, Token).ToListAsync(Token);
        ChatResponse replayed = updates.ToChatResponse();

        Assert.Equal(live.Text, replayed.Text);
        Assert.Contains(updates, u => u.Contents.OfType<FunctionCallContent>().Any(c => c.Name == "add"));
        Assert.Equal(1, calculator.Calls);
        Assert.Equal(live.Usage?.TotalTokenCount, replayed.Usage?.TotalTokenCount);
        replay.VerifyAllPlayed();
    }

    [Fact]
    public async Task GetResponseAsync_ChangedPrompt_ThrowsWithTheExchangeAndTheFirstDifference()
    {
        using var folder = new TempFolder();
        (_, string cassettePath) = await RecordCalculatorSessionAsync(folder, streaming: false);
        var replay = new ReplayChatClient(cassettePath);
        using IChatClient client = new ChatClientBuilder(replay).UseFunctionInvocation().Build();

        var error = await Assert.ThrowsAsync<ChatCassetteMismatchException>(() => client.GetResponseAsync(
            [new(ChatRole.System, "You are a calculator."), new(ChatRole.User, "What is 2 + 4? Use the tool.")], new Calculator().Options, Token));

        Assert.Equal(1, error.ExchangeNumber);
        Assert.Equal("messages[1].contents[0].text", error.Path);
        Assert.Equal("\"What is 2 + 3? Use the tool.\"", error.Expected);
        Assert.Equal("\"What is 2 + 4? Use the tool.\"", error.Actual);
        Assert.Contains($"ReplayChatClient of '{cassettePath}': request 1 does not match exchange 1 of 2 (strict matching)", error.Message, StringComparison.Ordinal);
        Assert.Contains("First difference at messages[1].contents[0].text (from character 13; expected 28 characters, actual 28):", error.Message, StringComparison.Ordinal);
        Assert.Contains("  expected: \"What is 2 + 3? Use the tool.\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("  actual:   \"What is 2 + 4? Use the tool.\"", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, replay.PlayedCount);
    }

    [Fact]
    public async Task GetResponseAsync_ToolNowReturnsSomethingElse_FailsAtTheSecondExchangeOnTheResult()
    {
        using var folder = new TempFolder();
        (_, string cassettePath) = await RecordCalculatorSessionAsync(folder, streaming: false);
        var replay = new ReplayChatClient(cassettePath);
        using IChatClient client = new ChatClientBuilder(replay).UseFunctionInvocation().Build();

        var error = await Assert.ThrowsAsync<ChatCassetteMismatchException>(
            () => client.GetResponseAsync(CalculatorQuestion(), new Calculator { Offset = 1 }.Options, Token));

        Assert.Equal(2, error.ExchangeNumber);
        Assert.Equal("messages[3].contents[0].result", error.Path);
        Assert.Equal("5", error.Expected);
        Assert.Equal("6", error.Actual);
    }

    [Fact]
    public async Task GetResponseAsync_OnlyVolatilePartsDiffer_Matches()
    {
        var cassette = new ChatCassette();
        cassette.Exchanges.Add(Exchange(
            [Message("user", Text("  Fix the bug.\r\nThanks  ")), Message("assistant", Call("c-recorded", "read_file", """{"path":"a.txt","lines":[1,2.0]}""")), Message("tool", Result("c-recorded", "\"text\""))],
            "done"));
        var replay = new ReplayChatClient(cassette);

        ChatResponse response = await replay.GetResponseAsync(
        [
            new(ChatRole.User, [new TextContent("Fix the "), new TextContent("bug.\nThanks")]) { MessageId = "m1", CreatedAt = DateTimeOffset.UnixEpoch },
            new(ChatRole.Assistant, [new FunctionCallContent("c-other", "read_file", new Dictionary<string, object?> { ["lines"] = new[] { 1.0, 2 }, ["path"] = "a.txt" })]),
            new(ChatRole.Tool, [new FunctionResultContent("c-other", "text")]),
        ], cancellationToken: Token);

        Assert.Equal("done", response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_LenientMatching_AcceptsAnotherPromptButNotAnotherTool()
    {
        using var folder = new TempFolder();
        (_, string cassettePath) = await RecordCalculatorSessionAsync(folder, streaming: false);
        var lenient = new ReplayChatClientOptions { Matching = ChatRequestMatching.Lenient };

        using IChatClient client = new ChatClientBuilder(new ReplayChatClient(cassettePath, lenient)).UseFunctionInvocation().Build();
        ChatResponse response = await client.GetResponseAsync(
            [new(ChatRole.System, "You are a careful calculator."), new(ChatRole.User, "Please add 2 and 3.")], new Calculator { Offset = 10 }.Options, Token);
        Assert.Equal("2 + 3 = 5", response.Text);

        var otherTool = new ChatOptions { Tools = [AIFunctionFactory.Create((int a, int b) => a * b, "multiply")] };
        var error = await Assert.ThrowsAsync<ChatCassetteMismatchException>(
            () => new ReplayChatClient(cassettePath, lenient).GetResponseAsync(CalculatorQuestion(), otherTool, Token));
        Assert.Equal("tools[0]", error.Path);
        Assert.Equal("\"add\"", error.Expected);
        Assert.Equal("\"multiply\"", error.Actual);
        Assert.Contains("(lenient matching)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_ChangedInstructionsOrToolsUnderStrictMatching_ReportsThem()
    {
        var cassette = new ChatCassette();
        ChatExchange exchange = Exchange([Message("user", Text("hi"))], "hello");
        exchange.Request.Options = new ChatCassetteRequestOptions { Instructions = "Be brief.", Tools = [new ChatCassetteTool { Name = "read_file" }] };
        cassette.Exchanges.Add(exchange);
        AIFunction readFile = AIFunctionFactory.Create((string path) => path, "read_file");
        AIFunction writeFile = AIFunctionFactory.Create((string path) => path, "write_file");

        var instructions = await Assert.ThrowsAsync<ChatCassetteMismatchException>(() => new ReplayChatClient(cassette)
            .GetResponseAsync("hi", new ChatOptions { Instructions = "Be thorough.", Tools = [readFile] }, Token));
        var tools = await Assert.ThrowsAsync<ChatCassetteMismatchException>(() => new ReplayChatClient(cassette)
            .GetResponseAsync("hi", new ChatOptions { Instructions = "Be brief.", Tools = [readFile, writeFile] }, Token));
        ChatResponse sameAnswer = await new ReplayChatClient(cassette)
            .GetResponseAsync("hi", new ChatOptions { Instructions = " Be brief.\n", Tools = [readFile], Temperature = 1, ModelId = "other" }, Token);

        Assert.Equal("instructions", instructions.Path);
        Assert.Equal("tools[1]", tools.Path);
        Assert.Equal("(nothing)", tools.Expected);
        Assert.Equal("\"write_file\"", tools.Actual);
        Assert.Equal("hello", sameAnswer.Text);
    }

    [Fact]
    public async Task GetResponseAsync_CanceledToken_ThrowsWithoutUsingAnExchange()
    {
        var cassette = new ChatCassette();
        cassette.Exchanges.Add(Exchange([Message("user", Text("hi"))], "hello"));
        var replay = new ReplayChatClient(cassette);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => replay.GetResponseAsync("hi", cancellationToken: new CancellationToken(canceled: true)));

        Assert.Equal(1, replay.RemainingCount);
        Assert.Equal("hello", (await replay.GetResponseAsync("hi", cancellationToken: Token)).Text);
    }

    [Fact]
    public async Task GetResponseAsync_ExtraMessage_ReportsItAsTheDifference()
    {
        var cassette = new ChatCassette();
        cassette.Exchanges.Add(Exchange([Message("user", Text("hi"))], "hello"));

        var error = await Assert.ThrowsAsync<ChatCassetteMismatchException>(() => new ReplayChatClient(cassette).GetResponseAsync(
            [new(ChatRole.User, "hi"), new(ChatRole.User, "and more")], cancellationToken: Token));

        Assert.Equal("messages[1]", error.Path);
        Assert.Equal("(nothing)", error.Expected);
        Assert.Contains("and more", error.Actual, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_PastTheEndOfTheCassette_ThrowsSayingSo()
    {
        var cassette = new ChatCassette();
        cassette.Exchanges.Add(Exchange([Message("user", Text("hi"))], "hello"));
        var replay = new ReplayChatClient(cassette);
        await replay.GetResponseAsync("hi", cancellationToken: Token);

        var error = await Assert.ThrowsAsync<ChatCassetteMismatchException>(() => replay.GetResponseAsync("hi again", cancellationToken: Token));

        Assert.Equal(2, error.ExchangeNumber);
        Assert.Null(error.Path);
        Assert.Contains("got request 2, but the cassette holds 1 exchange(s), all played", error.Message, StringComparison.Ordinal);
        Assert.Contains("[0] user: \"hi again\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyAllPlayed_ExchangesLeft_ThrowsNamingTheFirstUnplayed()
    {
        var cassette = new ChatCassette();
        cassette.Exchanges.Add(Exchange([Message("user", Text("never asked"))], "hello"));

        var error = Assert.Throws<ChatCassetteMismatchException>(new ReplayChatClient(cassette).VerifyAllPlayed);

        Assert.Equal(1, error.ExchangeNumber);
        Assert.Contains("was asked 0 request(s) but holds 1 exchanges", error.Message, StringComparison.Ordinal);
        Assert.Contains("never asked", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_SecretsRedactedWhenRecorded_MatchWhenTheSameSecretsAreGiven()
    {
        using var folder = new TempFolder();
        const string Key = "sk-test-abcdef";
        var recording = new RecordingChatClientOptions();
        recording.Secrets.Add(Key);
        var recorder = new RecordingChatClient(new ScriptedChatClient().EnqueueText("ok"), folder.File("s.json"), recording);
        await recorder.GetResponseAsync($"my key is {Key}", cancellationToken: Token);

        await Assert.ThrowsAsync<ChatCassetteMismatchException>(() => new ReplayChatClient(recorder.CassettePath).GetResponseAsync($"my key is {Key}", cancellationToken: Token));
        var replaying = new ReplayChatClientOptions();
        replaying.Secrets.Add(Key);
        ChatResponse response = await new ReplayChatClient(recorder.CassettePath, replaying).GetResponseAsync($"my key is {Key}", cancellationToken: Token);

        Assert.Equal("ok", response.Text);
    }

    private static List<ChatMessage> CalculatorQuestion() =>
        [new(ChatRole.System, "You are a calculator."), new(ChatRole.User, "What is 2 + 3? Use the tool.")];

    private static async Task<(ChatResponse Response, string CassettePath)> RecordCalculatorSessionAsync(TempFolder folder, bool streaming)
    {
        var live = new ScriptedChatClient()
            .EnqueueFunctionCall("add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 }, callId: "call_live_1")
            .Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "2 + 3 = 5"))
            {
                ModelId = "live-model",
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 40, OutputTokenCount = 7, TotalTokenCount = 47 },
            });
        var recorder = new RecordingChatClient(live, folder.File(streaming ? "streaming.json" : "session.json"));
        using IChatClient client = new ChatClientBuilder(recorder).UseFunctionInvocation().Build();
        ChatResponse response = streaming
            ? await client.GetStreamingResponseAsync(CalculatorQuestion(), new Calculator().Options, Token).ToChatResponseAsync(Token)
            : await client.GetResponseAsync(CalculatorQuestion(), new Calculator().Options, Token);
        return (response, recorder.CassettePath);
    }

    private static ChatExchange Exchange(ChatCassetteMessage[] request, string answer)
    {
        var exchange = new ChatExchange();
        foreach (ChatCassetteMessage message in request)
        {
            exchange.Request.Messages.Add(message);
        }

        exchange.Response.Messages.Add(Message("assistant", Text(answer)));
        return exchange;
    }

    private static ChatCassetteMessage Message(string role, params ChatCassetteContent[] contents)
    {
        var message = new ChatCassetteMessage { Role = role };
        foreach (ChatCassetteContent content in contents)
        {
            message.Contents.Add(content);
        }

        return message;
    }

    private static ChatCassetteContent Text(string text) => new() { Type = ChatCassetteContent.TextType, Text = text };

    private static ChatCassetteContent Call(string callId, string name, string argumentsJson) =>
        new() { Type = ChatCassetteContent.FunctionCallType, CallId = callId, Name = name, Arguments = System.Text.Json.JsonDocument.Parse(argumentsJson).RootElement.Clone() };

    private static ChatCassetteContent Result(string callId, string resultJson) =>
        new() { Type = ChatCassetteContent.FunctionResultType, CallId = callId, Result = System.Text.Json.JsonDocument.Parse(resultJson).RootElement.Clone() };
}
