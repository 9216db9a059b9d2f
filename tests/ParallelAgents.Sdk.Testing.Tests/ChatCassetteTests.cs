using Microsoft.Extensions.AI;
using ParallelAgents.Sdk.Testing.Tests.TestSupport;

namespace ParallelAgents.Sdk.Testing.Tests;

public sealed class ChatCassetteTests
{
    private static readonly CancellationToken Token = TestContext.Current.CancellationToken;

    [Fact]
    public async Task ToJson_RecordedToolCall_IsTheDocumentedReadableFormat()
    {
        using var folder = new TempFolder();
        var live = new ScriptedChatClient().Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new TextContent("Reading it."), new FunctionCallContent("call_1", "read_file", new Dictionary<string, object?> { ["path"] = "src/app.js", ["start"] = 1 })]))
        {
            ModelId = "gpt-4o-mini",
            FinishReason = ChatFinishReason.ToolCalls,
            Usage = new UsageDetails { InputTokenCount = 120, OutputTokenCount = 18, TotalTokenCount = 138 },
        });
        var recorder = new RecordingChatClient(live, folder.File("format.json"));
        var tool = AIFunctionFactory.Create((string path, int start) => path, "read_file", "Reads a file.");

        await recorder.GetResponseAsync([new(ChatRole.User, "Fix the 'bug' in app.js")], new ChatOptions { ModelId = "gpt-4o-mini", Temperature = 0, Tools = [tool] }, Token);

        string expected = """
            {
              "version": 1,
              "exchanges": [
                {
                  "streaming": false,
                  "request": {
                    "messages": [
                      {
                        "role": "user",
                        "contents": [
                          {
                            "type": "text",
                            "text": "Fix the 'bug' in app.js"
                          }
                        ]
                      }
                    ],
                    "options": {
                      "modelId": "gpt-4o-mini",
                      "temperature": 0,
                      "tools": [
                        {
                          "name": "read_file",
                          "description": "Reads a file.",
                          "jsonSchema": {
                            "type": "object",
                            "properties": {
                              "path": {
                                "type": "string"
                              },
                              "start": {
                                "type": "integer"
                              }
                            },
                            "required": [
                              "path",
                              "start"
                            ]
                          }
                        }
                      ]
                    }
                  },
                  "response": {
                    "messages": [
                      {
                        "role": "assistant",
                        "contents": [
                          {
                            "type": "text",
                            "text": "Reading it."
                          },
                          {
                            "type": "functionCall",
                            "callId": "call_1",
                            "name": "read_file",
                            "arguments": {
                              "path": "src/app.js",
                              "start": 1
                            }
                          }
                        ]
                      }
                    ],
                    "finishReason": "tool_calls",
                    "modelId": "gpt-4o-mini",
                    "usage": {
                      "inputTokenCount": 120,
                      "outputTokenCount": 18,
                      "totalTokenCount": 138
                    }
                  }
                }
              ]
            }

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), (await File.ReadAllTextAsync(recorder.CassettePath, Token)).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Parse_SavedCassette_RoundTripsEveryField()
    {
        using var folder = new TempFolder();
        string json = """
            { "version": 1, "exchanges": [ { "streaming": true,
              "request": { "messages": [ { "role": "tool", "authorName": "bot", "contents": [
                  { "type": "functionResult", "callId": "c1", "result": { "ok": true, "items": [1, "two", null] } },
                  { "type": "data", "mediaType": "image/png", "uri": "data:image/png;base64,iVBORw0KGgo=" },
                  { "type": "uri", "mediaType": "text/html", "uri": "https://example.invalid/page" },
                  { "type": "error", "text": "boom", "errorCode": "E1" },
                  { "type": "reasoning", "text": "thinking" } ] } ],
                "options": { "instructions": "be brief", "topP": 0.5, "topK": 3, "maxOutputTokens": 100, "frequencyPenalty": 0.1,
                  "presencePenalty": 0.2, "seed": 7, "stopSequences": ["END"], "toolMode": "required:add", "responseFormat": "json" } },
              "response": { "messages": [], "usage": { "cachedInputTokenCount": 5, "reasoningTokenCount": 9 } } } ] }
            """;

        ChatCassette cassette = ChatCassette.Parse(json);
        cassette.Save(folder.File("c.json"));
        ChatCassette again = ChatCassette.Load(folder.File("c.json"));

        Assert.Equal(cassette.ToJson(), again.ToJson());
        ChatExchange exchange = Assert.Single(again.Exchanges);
        Assert.True(exchange.Streaming);
        Assert.Equal("bot", exchange.Request.Messages[0].AuthorName);
        Assert.Equal(5, exchange.Request.Messages[0].Contents.Count);
        Assert.Equal("""{"ok":true,"items":[1,"two",null]}""", System.Text.Json.JsonSerializer.Serialize(exchange.Request.Messages[0].Contents[0].Result));
        Assert.Equal(["END"], exchange.Request.Options!.StopSequences!);
        Assert.Equal("required:add", exchange.Request.Options.ToolMode);
        Assert.Equal(7, exchange.Request.Options.Seed);
        Assert.Equal(9, exchange.Response.Usage!.ReasoningTokenCount);
    }

    [Fact]
    public void Parse_OtherVersion_ThrowsSayingWhichVersionsAreRead()
    {
        var error = Assert.Throws<InvalidDataException>(() => ChatCassette.Parse("""{ "version": 2, "exchanges": [] }""", "old.json"));

        Assert.Contains("'old.json' has format version 2; this library reads version 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadJson_ThrowsWithTheLine()
    {
        var error = Assert.Throws<InvalidDataException>(() => ChatCassette.Parse("{\n  \"version\": 1,\n  \"exchanges\": [ { \"streaming\": maybe } ]\n}", "bad.json"));

        Assert.Contains("'bad.json' is not valid cassette JSON (line 3", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "version": 1, "exchanges": [ null ] }""", "exchanges[0]")]
    [InlineData("""{ "version": 1, "exchanges": [ { "request": null } ] }""", "exchanges[0].request")]
    [InlineData("""{ "version": 1, "exchanges": [ { "response": { "messages": [ { "role": "assistant", "contents": [ {}, null ] } ] } } ] }""", "exchanges[0].response.messages[0].contents[1]")]
    [InlineData("""{ "version": 1, "exchanges": [ { "request": { "messages": [ { "role": null } ] } } ] }""", "exchanges[0].request.messages[0].role")]
    [InlineData("""{ "version": 1, "exchanges": [ { "request": { "messages": [], "options": { "tools": [ { "name": null } ] } } } ] }""", "exchanges[0].request.options.tools[0].name")]
    public void Parse_NullWhereAValueIsNeeded_ThrowsWithItsPath(string json, string path)
    {
        var error = Assert.Throws<InvalidDataException>(() => ChatCassette.Parse(json, "edited.json"));

        Assert.Contains($"'edited.json' has null at {path},", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_ThrowsSayingHowToRecordIt()
    {
        using var folder = new TempFolder();

        var error = Assert.Throws<FileNotFoundException>(() => ChatCassette.Load(folder.File("none.json")));

        Assert.Contains("Record it first", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplayChatClient_ParsedContents_ComeBackAsTheirMicrosoftExtensionsAITypes()
    {
        string json = """
            { "version": 1, "exchanges": [ { "request": { "messages": [] },
              "response": { "finishReason": "stop", "modelId": "m", "messages": [ { "role": "assistant", "contents": [
                  { "type": "reasoning", "text": "hmm" },
                  { "type": "text", "text": "hi" },
                  { "type": "functionCall", "callId": "c", "name": "f", "arguments": { "x": [1, 2] } },
                  { "type": "data", "mediaType": "image/png", "uri": "data:image/png;base64,iVBORw0KGgo=" },
                  { "type": "other", "name": "Some.Unknown" } ] } ] } } ] }
            """;

        ChatResponse response = await new ReplayChatClient(ChatCassette.Parse(json)).GetResponseAsync([], cancellationToken: Token);

        IList<AIContent> contents = Assert.Single(response.Messages).Contents;
        Assert.Collection(
            contents,
            c => Assert.Equal("hmm", Assert.IsType<TextReasoningContent>(c).Text),
            c => Assert.Equal("hi", Assert.IsType<TextContent>(c).Text),
            c => Assert.Equal("[1,2]", System.Text.Json.JsonSerializer.Serialize(Assert.IsType<FunctionCallContent>(c).Arguments!["x"])),
            c => Assert.Equal("image/png", Assert.IsType<DataContent>(c).MediaType));
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("m", response.ModelId);
    }
}
