using System.Text;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>Short readable summaries of a request, for error messages.</summary>
internal static class ChatMessageFormatter
{
    private const int MaxTextLength = 300;
    private const int MaxMessages = 8;

    public static string Describe(IReadOnlyList<ChatMessage> messages)
    {
        if (messages.Count == 0)
        {
            return "  (no messages)";
        }

        var text = new StringBuilder();
        int first = Math.Max(0, messages.Count - MaxMessages);
        if (first > 0)
        {
            text.Append("  (").Append(first).AppendLine(" earlier messages left out)");
        }

        for (int i = first; i < messages.Count; i++)
        {
            ChatMessage message = messages[i];
            text.Append("  [").Append(i).Append("] ").Append(message.Role.Value).Append(": ");
            var parts = new List<string>();
            foreach (AIContent content in message.Contents)
            {
                parts.Add(content switch
                {
                    TextContent t => Quote(t.Text),
                    FunctionCallContent call => $"call {call.Name}({Truncate(Json(call.Arguments))})",
                    FunctionResultContent result => $"result of {result.CallId}: {Truncate(Json(result.Result))}",
                    _ => content.GetType().Name,
                });
            }

            text.AppendLine(parts.Count == 0 ? "(empty)" : string.Join(", ", parts));
        }

        return text.ToString().TrimEnd();
    }

    public static string Quote(string? text) => "\"" + Truncate((text ?? string.Empty).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)) + "\"";

    public static string Truncate(string text) =>
        text.Length <= MaxTextLength ? text : string.Concat(text.AsSpan(0, MaxTextLength), $"… ({text.Length} characters)");

    private static string Json(object? value)
    {
        if (value is null)
        {
            return "null";
        }

        try
        {
            return System.Text.Json.JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value.GetType()));
        }
        catch (Exception e) when (e is NotSupportedException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return value.ToString() ?? string.Empty;
        }
    }
}
