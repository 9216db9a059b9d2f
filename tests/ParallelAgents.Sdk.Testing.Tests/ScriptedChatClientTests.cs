using Microsoft.Extensions.AI;
using ParallelAgents.Sdk.Testing.Tests.TestSupport;

namespace ParallelAgents.Sdk.Testing.Tests;

public sealed class ScriptedChatClientTests
{
    [Fact]
    public async Task GetResponseAsync_ScriptedFunctionCallThroughFunctionInvocation_InvokesTheRealFunctionAndSendsItsResultBack()
    {
        var calculator = new Calculator();
        var scripted = new ScriptedChatClient()
            .EnqueueFunctionCall("add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 })
            .EnqueueText("2 + 3 = 5");
        using IChatClient client = new ChatClientBuilder(scripted).UseFunctionInvocation().Build();

        ChatResponse response = await client.GetResponseAsync("What is 2 + 3?", calculator.Options, TestContext.Current.CancellationToken);

        Assert.Equal("2 + 3 = 5", response.Text);
        Assert.Equal(1, calculator.Calls);
        Assert.Equal(2, scripted.Requests.Count);
        Assert.Equal(["add"], scripted.Requests[0].Options!.Tools!.Select(t => t.Name));
        FunctionResultContent result = Assert.Single(scripted.Requests[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>());
        Assert.Equal("call_1", result.CallId);
        Assert.Equal("5", result.Result?.ToString());
        Assert.Equal(0, scripted.RemainingCount);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ScriptedFunctionCallThroughFunctionInvocation_StreamsTheSameAnswers()
    {
        var calculator = new Calculator();
        var scripted = new ScriptedChatClient()
            .EnqueueFunctionCall("add", new Dictionary<string, object?> { ["a"] = 40, ["b"] = 2 }, callId: "c-1")
            .Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "The answer is 42."))
            {
                Usage = new UsageDetails { InputTokenCount = 30, OutputTokenCount = 6, TotalTokenCount = 36 },
                FinishReason = ChatFinishReason.Stop,
            });
        using IChatClient client = new ChatClientBuilder(scripted).UseFunctionInvocation().Build();

        ChatResponse response = await client.GetStreamingResponseAsync("What is 40 + 2?", calculator.Options, TestContext.Current.CancellationToken)
            .ToChatResponseAsync(TestContext.Current.CancellationToken);

        Assert.EndsWith("The answer is 42.", response.Text, StringComparison.Ordinal);
        Assert.Equal(1, calculator.Calls);
        Assert.Equal(36, response.Usage?.TotalTokenCount);
        Assert.All(scripted.Requests, r => Assert.True(r.Streaming));
        FunctionResultContent result = Assert.Single(scripted.Requests[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>());
        Assert.Equal("c-1", result.CallId);
        Assert.Equal("42", result.Result?.ToString());
    }

    [Fact]
    public async Task GetResponseAsync_AfterTheLastScriptedAnswer_ThrowsSayingHowManyWereScriptedAndShowingTheRequest()
    {
        var scripted = new ScriptedChatClient(new ChatResponse(new ChatMessage(ChatRole.Assistant, "first")));
        await scripted.GetResponseAsync("one", cancellationToken: TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => scripted.GetResponseAsync([new(ChatRole.System, "be brief"), new(ChatRole.User, "the second question")], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("request 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("1 answer(s) were scripted", error.Message, StringComparison.Ordinal);
        Assert.Contains("[1] user: \"the second question\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("[0] system: \"be brief\"", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, scripted.Requests.Count);
    }

    [Fact]
    public async Task GetResponseAsync_WithCallback_AnswersFromTheRequestOnceTheQueueIsEmpty()
    {
        var scripted = new ScriptedChatClient((messages, options, _) =>
            new ChatResponse(new ChatMessage(ChatRole.Assistant, $"echo {messages[^1].Text} ({options?.ModelId})")));
        scripted.EnqueueText("queued first");

        ChatResponse first = await scripted.GetResponseAsync("a", cancellationToken: TestContext.Current.CancellationToken);
        ChatResponse second = await scripted.GetResponseAsync("b", new ChatOptions { ModelId = "m" }, TestContext.Current.CancellationToken);

        Assert.Equal("queued first", first.Text);
        Assert.Equal("echo b (m)", second.Text);
    }

    [Fact]
    public async Task GetResponseAsync_WithAsyncCallback_AwaitsIt()
    {
        var scripted = new ScriptedChatClient(async (messages, _, cancellationToken) =>
        {
            await Task.Yield();
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, messages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        });

        ChatResponse response = await scripted.GetResponseAsync([new(ChatRole.User, "a"), new(ChatRole.User, "b")], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("2", response.Text);
    }

    [Fact]
    public async Task Requests_CallerChangesItsListAfterwards_KeepTheMessagesAsSent()
    {
        var scripted = new ScriptedChatClient().EnqueueText("ok");
        var messages = new List<ChatMessage> { new(ChatRole.User, "hello") };

        await scripted.GetResponseAsync(messages, cancellationToken: TestContext.Current.CancellationToken);
        messages.Add(new ChatMessage(ChatRole.User, "later"));

        Assert.Single(Assert.Single(scripted.Requests).Messages);
    }
}
