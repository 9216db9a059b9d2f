using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using ParallelAgents.Sdk.Testing.Tests.TestSupport;
using ParallelAgents.Sdk.Tests.TestSupport;
using Reply = ParallelAgents.Sdk.Tests.TestSupport.OpenAICompatibleServer.Reply;

namespace ParallelAgents.Sdk.Testing.Tests;

/// <summary>
/// The workflow the package is for: record a session of the real OpenAI client (here against the loopback server),
/// then replay it with no server at all.
/// </summary>
public sealed class OpenAIRecordReplayTests
{
    private const string ApiKey = "sk-loopback-0123456789";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RecordingChatClient_RealOpenAIClientSession_ReplaysOfflineToTheSameAnswer(bool streaming)
    {
        using var folder = new TempFolder();
        string cassettePath = folder.File("openai.json");
        ChatResponse live;
        await using (var server = await OpenAICompatibleServer.StartAsync())
        {
            server.Enqueue(Reply.Call("call_live", "add", """{"a":2,"b":3}"""), Reply.Answer($"2 + 3 = 5 (and the key is {ApiKey})", 40, 12));
            var options = new RecordingChatClientOptions();
            options.Secrets.Add(ApiKey);
            IChatClient openAI = new OpenAI.Chat.ChatClient("gpt-test", new ApiKeyCredential(ApiKey), new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl) }).AsIChatClient();
            using IChatClient recording = new ChatClientBuilder(new RecordingChatClient(openAI, cassettePath, options)).UseFunctionInvocation().Build();
            live = await AskAsync(recording, new Calculator(), streaming);
            Assert.Equal(2, server.Requests.Count);
        }

        var calculator = new Calculator();
        var replayOptions = new ReplayChatClientOptions();
        replayOptions.Secrets.Add(ApiKey);
        var replay = new ReplayChatClient(cassettePath, replayOptions);
        using IChatClient replaying = new ChatClientBuilder(replay).UseFunctionInvocation().Build();
        ChatResponse replayed = await AskAsync(replaying, calculator, streaming);

        Assert.Equal(live.Messages[^1].Text.Replace(ApiKey, "[REDACTED]", StringComparison.Ordinal), replayed.Messages[^1].Text);
        Assert.Equal(1, calculator.Calls);
        Assert.Equal(live.Usage?.TotalTokenCount, replayed.Usage?.TotalTokenCount);
        replay.VerifyAllPlayed();
        string file = await File.ReadAllTextAsync(cassettePath, Token);
        Assert.DoesNotContain(ApiKey, file, StringComparison.Ordinal);
        ChatCassette cassette = ChatCassette.Load(cassettePath);
        Assert.All(cassette.Exchanges, e => Assert.Equal(streaming, e.Streaming));
        Assert.Equal("test-model", cassette.Exchanges[0].Response.ModelId); // ChatOptions.ModelId wins over the client's model.
        Assert.Equal("tool_calls", cassette.Exchanges[0].Response.FinishReason);
        Assert.Equal(52, cassette.Exchanges[1].Response.Usage?.TotalTokenCount);
    }

    private static async Task<ChatResponse> AskAsync(IChatClient client, Calculator calculator, bool streaming)
    {
        List<ChatMessage> question = [new(ChatRole.System, "You are a calculator."), new(ChatRole.User, "What is 2 + 3?")];
        return streaming
            ? await client.GetStreamingResponseAsync(question, calculator.Options, Token).ToChatResponseAsync(Token)
            : await client.GetResponseAsync(question, calculator.Options, Token);
    }
}
