using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ParallelAgents.Sdk;

/// <summary>
/// Compares two recorded requests through a view that keeps only what <see cref="ChatRequestMatching"/> says must
/// match, and finds the first difference as a path into that view.
/// </summary>
internal static class RequestMatcher
{
    private const int Window = 40;

    public sealed record Difference(string Path, string Expected, string Actual, string? Detail);

    public static Difference? FindFirstDifference(ChatCassetteRequest expected, ChatCassetteRequest actual, ChatRequestMatching matching)
    {
        JsonObject expectedView = View(expected, matching);
        JsonObject actualView = View(actual, matching);
        return Compare(expectedView, actualView, string.Empty, expectedPresent: true, actualPresent: true);
    }

    internal static JsonObject View(ChatCassetteRequest request, ChatRequestMatching matching)
    {
        var view = new JsonObject();
        if (matching == ChatRequestMatching.Strict && request.Options?.Instructions is { } instructions)
        {
            view["instructions"] = Normalize(instructions);
        }

        var tools = new JsonArray();
        foreach (string name in (request.Options?.Tools ?? []).Select(t => t.Name).Order(StringComparer.Ordinal))
        {
            tools.Add(name);
        }

        view["tools"] = tools;

        var messages = new JsonArray();
        foreach (ChatCassetteMessage message in request.Messages)
        {
            messages.Add(matching == ChatRequestMatching.Strict ? StrictMessage(message) : LenientMessage(message));
        }

        view["messages"] = messages;
        return view;
    }

    private static JsonObject StrictMessage(ChatCassetteMessage message)
    {
        var contents = new JsonArray();
        string? pendingText = null;
        void FlushText()
        {
            if (pendingText is not null && Normalize(pendingText) is { Length: > 0 } text)
            {
                contents.Add(new JsonObject { ["type"] = ChatCassetteContent.TextType, ["text"] = text });
            }

            pendingText = null;
        }

        foreach (ChatCassetteContent content in message.Contents)
        {
            switch (content.Type)
            {
                case ChatCassetteContent.TextType:
                    // Streaming splits one text into many parts; joined, they compare as the one text they are.
                    pendingText = (pendingText ?? string.Empty) + content.Text;
                    break;
                case ChatCassetteContent.FunctionCallType:
                    FlushText();
                    contents.Add(new JsonObject
                    {
                        ["type"] = content.Type,
                        ["name"] = content.Name,
                        ["arguments"] = ToNode(content.Arguments) ?? new JsonObject(),
                    });
                    break;
                case ChatCassetteContent.FunctionResultType:
                    FlushText();
                    contents.Add(new JsonObject { ["type"] = content.Type, ["result"] = ToNode(content.Result) });
                    break;
                case ChatCassetteContent.ErrorType:
                    FlushText();
                    contents.Add(new JsonObject { ["type"] = content.Type, ["text"] = Normalize(content.Text ?? string.Empty) });
                    break;
                case ChatCassetteContent.DataType or ChatCassetteContent.UriType:
                    FlushText();
                    contents.Add(new JsonObject { ["type"] = content.Type, ["mediaType"] = content.MediaType, ["uri"] = content.Uri });
                    break;
                default:
                    // Reasoning, usage and unknown parts are not part of what the caller asked.
                    break;
            }
        }

        FlushText();
        return new JsonObject { ["role"] = message.Role, ["contents"] = contents };
    }

    private static JsonObject LenientMessage(ChatCassetteMessage message)
    {
        var calls = new JsonArray();
        foreach (ChatCassetteContent content in message.Contents.Where(c => c.Type == ChatCassetteContent.FunctionCallType))
        {
            calls.Add(content.Name);
        }

        return new JsonObject { ["role"] = message.Role, ["functionCalls"] = calls };
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();

    private static JsonNode? ToNode(JsonElement? element) =>
        element is null || element.Value.ValueKind == JsonValueKind.Null ? null : JsonNode.Parse(element.Value.GetRawText());

    private static Difference? Compare(JsonNode? expected, JsonNode? actual, string path, bool expectedPresent, bool actualPresent)
    {
        if (!expectedPresent || !actualPresent)
        {
            return new Difference(Display(path), expectedPresent ? Render(expected) : "(nothing)", actualPresent ? Render(actual) : "(nothing)", null);
        }

        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (KeyValuePair<string, JsonNode?> property in e)
                {
                    bool inActual = a.TryGetPropertyValue(property.Key, out JsonNode? other);
                    if (Compare(property.Value, other, path + "." + property.Key, true, inActual) is { } difference)
                    {
                        return difference;
                    }
                }

                foreach (KeyValuePair<string, JsonNode?> property in a)
                {
                    if (!e.ContainsKey(property.Key))
                    {
                        return Compare(null, property.Value, path + "." + property.Key, false, true);
                    }
                }

                return null;
            case (JsonArray e, JsonArray a):
                for (int i = 0; i < Math.Max(e.Count, a.Count); i++)
                {
                    if (Compare(i < e.Count ? e[i] : null, i < a.Count ? a[i] : null, $"{path}[{i}]", i < e.Count, i < a.Count) is { } difference)
                    {
                        return difference;
                    }
                }

                return null;
            default:
                return LeafEquals(expected, actual) ? null : LeafDifference(expected, actual, path);
        }
    }

    private static bool LeafEquals(JsonNode? expected, JsonNode? actual)
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null;
        }

        JsonValueKind expectedKind = expected.GetValueKind();
        JsonValueKind actualKind = actual.GetValueKind();
        if (expectedKind == JsonValueKind.Number && actualKind == JsonValueKind.Number)
        {
            // 1 and 1.0 are the same argument to a function, whatever serializer wrote them.
            string e = expected.ToJsonString();
            string a = actual.ToJsonString();
            return e == a
                || (decimal.TryParse(e, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal de)
                    && decimal.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal da)
                    && de == da);
        }

        if (expectedKind == JsonValueKind.String && actualKind == JsonValueKind.String)
        {
            return string.Equals(expected.GetValue<string>(), actual.GetValue<string>(), StringComparison.Ordinal);
        }

        return expectedKind == actualKind && expected.ToJsonString() == actual.ToJsonString();
    }

    private static Difference LeafDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        if (expected is JsonValue e && actual is JsonValue a
            && e.GetValueKind() == JsonValueKind.String && a.GetValueKind() == JsonValueKind.String)
        {
            string expectedText = e.GetValue<string>();
            string actualText = a.GetValue<string>();
            int at = 0;
            while (at < expectedText.Length && at < actualText.Length && expectedText[at] == actualText[at])
            {
                at++;
            }

            return new Difference(
                Display(path),
                ChatMessageFormatter.Quote(Excerpt(expectedText, at)),
                ChatMessageFormatter.Quote(Excerpt(actualText, at)),
                $"from character {at + 1}; expected {expectedText.Length} characters, actual {actualText.Length}");
        }

        return new Difference(Display(path), Render(expected), Render(actual), null);
    }

    private static string Excerpt(string text, int at)
    {
        if (text.Length <= 2 * Window)
        {
            return text;
        }

        int start = Math.Max(0, at - Window);
        int end = Math.Min(text.Length, at + Window);
        return (start > 0 ? "…" : string.Empty) + text[start..end] + (end < text.Length ? "…" : string.Empty);
    }

    private static string Render(JsonNode? node) =>
        node is null ? "null" : ChatMessageFormatter.Truncate(node.ToJsonString(CompactOptions));

    private static string Display(string path) => path.Length == 0 ? "(request)" : path.TrimStart('.');

    private static readonly JsonSerializerOptions CompactOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = CassetteNodeJson.Default,
    };
}
