using System.Text.Json;
#if NET9_0_OR_GREATER
using System.Runtime.InteropServices;
using System.Text.Unicode;
#endif

namespace ParallelAgents.Sdk;

/// <summary>Checks and copies values on their way into a store, the same way in every implementation.</summary>
internal static class MemoryValue
{
    /// <summary>Checks the key, the author and the value's size and returns a copy that owns its memory.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="author">The author.</param>
    /// <param name="options">The store's limits.</param>
    /// <param name="keyIsKnown">Whether the key is already in the store, and so passed the key checks before.</param>
    /// <exception cref="ArgumentException">The key or author is invalid, or the value is larger than the limit.</exception>
    public static JsonElement Prepare(string key, JsonElement value, string author, SharedMemoryOptions options, bool keyIsKnown = false)
    {
#if NET9_0_OR_GREATER
        // The way that passes allocates nothing for its checks: the size is read from the value's raw UTF-8 (for valid
        // UTF-8 exactly what SizeOf computes) instead of a string copy. Any failure falls through to the full checks
        // below, so the exceptions and their messages are the same on every path.
        if ((keyIsKnown || SharedMemoryKeys.IsValid(key, options)) && !string.IsNullOrWhiteSpace(author) && value.ValueKind != JsonValueKind.Undefined)
        {
            ReadOnlySpan<byte> json = JsonMarshal.GetRawUtf8Value(value);
            if (json.Length <= options.MaxValueBytes && Utf8.IsValid(json))
            {
                return value.Clone();
            }
        }
#endif
        SharedMemoryKeys.Validate(key, options);
        ValidateAuthor(author);

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

    /// <summary>Checks that a write or delete names its author.</summary>
    /// <exception cref="ArgumentException">The author is null, empty or white space.</exception>
    public static void ValidateAuthor(string author)
    {
        if (string.IsNullOrWhiteSpace(author))
        {
            throw new ArgumentException("Every write names its author (an agent or task id); the author was empty.", nameof(author));
        }
    }

    /// <summary>The size of the value as UTF-8 JSON.</summary>
    public static int SizeOf(JsonElement value) => System.Text.Encoding.UTF8.GetByteCount(value.GetRawText());
}
