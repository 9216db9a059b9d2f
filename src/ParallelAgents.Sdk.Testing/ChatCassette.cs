using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>
/// A recorded chat session: the requests an <see cref="Microsoft.Extensions.AI.IChatClient"/> received and the answers
/// it gave, in order, as written by <see cref="RecordingChatClient"/> and played back by <see cref="ReplayChatClient"/>.
/// </summary>
/// <remarks>
/// <para>
/// On disk a cassette is one UTF-8 JSON document, indented, with camelCase property names in a fixed order and
/// null fields left out, so that it reads well and diffs well under version control:
/// </para>
/// <code language="json">
/// {
///   "version": 1,
///   "exchanges": [
///     {
///       "streaming": false,
///       "request": {
///         "messages": [ { "role": "user", "contents": [ { "type": "text", "text": "Add a README" } ] } ],
///         "options": { "modelId": "gpt-4o-mini", "tools": [ { "name": "write_file", "jsonSchema": { ... } } ] }
///       },
///       "response": {
///         "messages": [ { "role": "assistant", "contents": [
///           { "type": "functionCall", "callId": "call_1", "name": "write_file", "arguments": { "path": "README.md" } } ] } ],
///         "finishReason": "tool_calls",
///         "modelId": "gpt-4o-mini",
///         "usage": { "inputTokenCount": 120, "outputTokenCount": 18, "totalTokenCount": 138 }
///       }
///     }
///   ]
/// }
/// </code>
/// <para>
/// Function-call arguments and function results are kept as JSON values, not as strings holding JSON. A cassette
/// is edited by hand as any JSON file (comments and trailing commas are accepted); <see cref="Load"/> checks its
/// version and reports bad JSON with its line.
/// </para>
/// </remarks>
public sealed class ChatCassette
{
    /// <summary>The format version this library writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Gets or sets the format version of the cassette.</summary>
    /// <value><see cref="CurrentVersion"/> (1) for a new cassette.</value>
    public int Version { get; set; } = CurrentVersion;

    /// <summary>Gets the recorded exchanges, in the order the requests were made.</summary>
    public IList<ChatExchange> Exchanges { get; } = new List<ChatExchange>();

    /// <summary>Reads a cassette from a JSON file.</summary>
    /// <param name="path">The path of the cassette file.</param>
    /// <returns>The cassette.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid cassette JSON, or has a version this library does not read.</exception>
    public static ChatCassette Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The chat cassette '{path}' does not exist. Record it first by running the test with a RecordingChatClient over a live chat client.",
                path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads a cassette from JSON text.</summary>
    /// <param name="json">The cassette's JSON.</param>
    /// <param name="source">Where the JSON came from (a file path), used in error messages; <see langword="null"/> when unknown.</param>
    /// <returns>The cassette.</returns>
    /// <exception cref="InvalidDataException">The text is not valid cassette JSON, or has a version this library does not read.</exception>
    public static ChatCassette Parse(string json, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        string where = source is null ? "The chat cassette" : $"The chat cassette '{source}'";
        ChatCassette? cassette;
        try
        {
            cassette = JsonSerializer.Deserialize(json, CassetteJson.Context.ChatCassette);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{where} is not valid cassette JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}, at '{e.Path}'): {e.Message} Fix the file or record it again.",
                e);
        }

        if (cassette is null)
        {
            throw new InvalidDataException($"{where} holds JSON null instead of a cassette object. Record it again.");
        }

        if (cassette.Version != CurrentVersion)
        {
            throw new InvalidDataException(
                $"{where} has format version {cassette.Version}; this library reads version {CurrentVersion}. Record the cassette again with this version of ParallelAgents.Sdk.Testing.");
        }

        if (FindNull(cassette) is { } problem)
        {
            throw new InvalidDataException($"{where} has null at {problem}, where a value is needed. Fix the file or record the cassette again.");
        }

        return cassette;
    }

    /// <summary>The path of the first null a hand-edited file may hold where the model needs a value, such as <c>exchanges[2].request</c>.</summary>
    private static string? FindNull(ChatCassette cassette)
    {
        for (int i = 0; i < cassette.Exchanges.Count; i++)
        {
            string at = $"exchanges[{i}]";
            ChatExchange? exchange = cassette.Exchanges[i];
            if (exchange is null)
            {
                return at;
            }

            if (exchange.Request is null)
            {
                return at + ".request";
            }

            if (exchange.Response is null)
            {
                return at + ".response";
            }

            string? problem = FindNull(exchange.Request.Messages, at + ".request.messages")
                ?? FindNull(exchange.Response.Messages, at + ".response.messages");
            if (problem is not null)
            {
                return problem;
            }

            IReadOnlyList<ChatCassetteTool?> tools = exchange.Request.Options?.Tools ?? [];
            for (int t = 0; t < tools.Count; t++)
            {
                if (tools[t] is not { } tool)
                {
                    return $"{at}.request.options.tools[{t}]";
                }

                if (tool.Name is null)
                {
                    return $"{at}.request.options.tools[{t}].name";
                }
            }
        }

        return null;
    }

    private static string? FindNull(IList<ChatCassetteMessage> messages, string at)
    {
        for (int m = 0; m < messages.Count; m++)
        {
            ChatCassetteMessage? message = messages[m];
            if (message is null)
            {
                return $"{at}[{m}]";
            }

            if (message.Role is null)
            {
                return $"{at}[{m}].role";
            }

            for (int c = 0; c < message.Contents.Count; c++)
            {
                ChatCassetteContent? content = message.Contents[c];
                if (content is null)
                {
                    return $"{at}[{m}].contents[{c}]";
                }

                if (content.Type is null)
                {
                    return $"{at}[{m}].contents[{c}].type";
                }
            }
        }

        return null;
    }

    /// <summary>Writes the cassette to a JSON file, replacing it whole so that a reader never sees half a file.</summary>
    /// <param name="path">The path of the cassette file; missing folders are created.</param>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        WriteAllTextAtomically(path, ToJson());
    }

    /// <summary>Returns the cassette as indented JSON, as <see cref="Save"/> writes it.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, CassetteJson.Context.ChatCassette) + "\n";

    internal static void WriteAllTextAtomically(string path, string text)
    {
        string fullPath = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(fullPath);
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        // A sibling temporary file and a rename: a test that dies mid-write leaves the previous cassette intact.
        string temporary = fullPath + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, fullPath, overwrite: true);
    }
}
