using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>Checks and copies values on their way into a store, the same way in every implementation.</summary>
internal static class MemoryValue
{
    /// <summary>Checks the author and the value's size and returns a copy that owns its memory.</summary>
    /// <exception cref="ArgumentException">The author is empty or the value is larger than the limit.</exception>
    public static JsonElement Prepare(string key, JsonElement value, string author, SharedMemoryOptions options)
    {
        SharedMemoryKeys.Validate(key, options);
        if (string.IsNullOrWhiteSpace(author))
        {
            throw new ArgumentException("Every write names its author (an agent or task id); the author was empty.", nameof(author));
        }

        if (value.ValueKind == JsonValueKind.Undefined)
        {
            throw new ArgumentException($"The value for '{key}' is an undefined JsonElement (default(JsonElement)); pass a JSON value, such as JsonSerializer.SerializeToElement(x).", nameof(value));
        }

        int bytes = SizeOf(value);
        if (bytes > options.MaxValueBytes)
        {
            throw new ArgumentException(
                $"The value for '{key}' is {bytes:N0} bytes of JSON; the limit is {options.MaxValueBytes:N0} (SharedMemoryOptions.MaxValueBytes). Store a summary or a file path instead.",
                nameof(value));
        }

        return value.Clone();
    }

    /// <summary>The size of the value as UTF-8 JSON.</summary>
    public static int SizeOf(JsonElement value) => System.Text.Encoding.UTF8.GetByteCount(value.GetRawText());
}
