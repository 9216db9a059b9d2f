using System.Text.Json.Nodes;

namespace ParallelAgents.Sdk.Cli.Tests.TestSupport;

/// <summary>Hand-made cassettes in ParallelAgents.Sdk.Testing's format, for <c>run --replay</c>.</summary>
internal static class Cassettes
{
    /// <summary>The tools a chat-client agent with shared memory offers, as a recording lists them (lenient replay
    /// compares their names).</summary>
    private static readonly string[] AgentTools =
    [
        "list_files", "read_file", "write_file", "edit_file", "delete_file", "search", "run_command", "finish",
        "memory_get", "memory_set", "memory_list", "report_discovery", "report_conflict",
    ];

    /// <summary>A conversation in which the model writes one file, then finishes.</summary>
    public static string WriteThenFinish(string path, string content, string summary)
    {
        JsonObject System() => Message("system", Text("# Your task: recorded"));
        JsonObject User() => Message("user", Text("Start the task now."));
        JsonObject WriteCall() => Message("assistant", Call("call_1", "write_file", new JsonObject { ["path"] = path, ["content"] = content }));
        JsonObject WriteResult() => Message("tool", new JsonObject { ["type"] = "functionResult", ["callId"] = "call_1", ["result"] = "Wrote " + path });
        var cassette = new JsonObject
        {
            ["version"] = 1,
            ["exchanges"] = new JsonArray(
                Exchange([System(), User()], WriteCall()),
                Exchange([System(), User(), WriteCall(), WriteResult()], Message("assistant", Call("call_2", "finish", new JsonObject { ["summary"] = summary })))),
        };
        return cassette.ToJsonString();
    }

    private static JsonObject Exchange(JsonObject[] request, JsonObject response) => new()
    {
        ["streaming"] = false,
        ["request"] = new JsonObject
        {
            ["messages"] = new JsonArray([.. request]),
            ["options"] = new JsonObject { ["tools"] = new JsonArray([.. AgentTools.Select(t => (JsonNode)new JsonObject { ["name"] = t })]) },
        },
        ["response"] = new JsonObject
        {
            ["messages"] = new JsonArray(response),
            ["finishReason"] = "tool_calls",
            ["modelId"] = "recorded-model",
            ["usage"] = new JsonObject { ["inputTokenCount"] = 100, ["outputTokenCount"] = 10, ["totalTokenCount"] = 110 },
        },
    };

    private static JsonObject Message(string role, JsonObject content) => new() { ["role"] = role, ["contents"] = new JsonArray(content) };

    private static JsonObject Text(string text) => new() { ["type"] = "text", ["text"] = text };

    private static JsonObject Call(string id, string name, JsonObject arguments) =>
        new() { ["type"] = "functionCall", ["callId"] = id, ["name"] = name, ["arguments"] = arguments };
}
