using System.Text.Json;
using System.Text.Json.Nodes;

namespace ParallelAgents.Sdk;

/// <summary>Replaces secrets in every string that goes into a cassette: texts, names, and the strings inside JSON values.</summary>
internal sealed class SecretRedactor
{
    private readonly string[] _secrets;
    private readonly Func<string, string>? _redact;
    private readonly string _marker;

    public SecretRedactor(IEnumerable<string?> secrets, Func<string, string>? redact, string marker)
    {
        // Longest first, so that a secret containing a shorter one is replaced whole; an empty string would match everywhere.
        _secrets = [.. secrets.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length)];
        _redact = redact;
        _marker = marker;
    }

    public static SecretRedactor None { get; } = new([], null, string.Empty);

    public bool IsActive => _secrets.Length > 0 || _redact is not null;

    public string Redact(string text)
    {
        if (!IsActive)
        {
            return text;
        }

        string result = ReplaceSecrets(text);
        return _redact is null ? result : _redact(result) ?? string.Empty;
    }

    public string? RedactOrNull(string? text) => text is null ? null : Redact(text);

    /// <summary>Only the literal secrets, for a last pass over a whole file where a callback could break the JSON.</summary>
    public string ReplaceSecrets(string text)
    {
        foreach (string secret in _secrets)
        {
            text = text.Replace(secret, _marker, StringComparison.Ordinal);
        }

        return text;
    }

    public JsonElement? Redact(JsonElement? value)
    {
        if (value is null || !IsActive)
        {
            return value;
        }

        JsonNode? node = JsonNode.Parse(value.Value.GetRawText());
        JsonNode? redacted = RedactNode(node);
        return JsonSerializer.SerializeToElement(redacted, CassetteNodeJson.Default.JsonNode);
    }

    private JsonNode? RedactNode(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (KeyValuePair<string, JsonNode?> property in obj)
                {
                    string key = Redact(property.Key);
                    copy[key] = RedactNode(property.Value?.DeepClone());
                }

                return copy;
            case JsonArray array:
                var items = new JsonArray();
                foreach (JsonNode? item in array)
                {
                    items.Add(RedactNode(item?.DeepClone()));
                }

                return items;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return JsonValue.Create(Redact(value.GetValue<string>()));
            default:
                return node?.DeepClone();
        }
    }
}
