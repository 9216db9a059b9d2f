using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
#if NET9_0_OR_GREATER
using System.Runtime.InteropServices;
#endif

namespace ParallelAgents.Sdk.InMemory;

/// <summary>
/// The checks of <see cref="MemoryValue.Prepare"/>, without its cost on the way that passes: the key is searched for
/// control characters with vector instructions, and (on .NET 9 and later) the value's size is read from its raw UTF-8
/// rather than from a string copy of it, so a write allocates nothing for its checks.
/// </summary>
/// <remarks>Whenever a check fails, <see cref="MemoryValue.Prepare"/> itself runs, so the exceptions and their
/// messages are the same as every other store's.</remarks>
internal static class WriteChecks
{
    /// <summary>What <see cref="char.IsControl(char)"/> accepts: U+0000 to U+001F and U+007F to U+009F.</summary>
    private static readonly SearchValues<char> ControlCharacters = SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Select(c => (char)c)));

    /// <summary>Checks the key, author and value, and returns a copy of the value that owns its memory.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="author">The author.</param>
    /// <param name="options">The store's limits.</param>
    /// <param name="keyIsKnown">Whether the key is already in the store, and so passed these checks before.</param>
    /// <exception cref="ArgumentException">As <see cref="MemoryValue.Prepare"/>.</exception>
    public static JsonElement Prepare(string key, JsonElement value, string author, SharedMemoryOptions options, bool keyIsKnown = false)
    {
#if NET9_0_OR_GREATER
        if ((keyIsKnown || IsValidKey(key, options)) && !string.IsNullOrWhiteSpace(author) && value.ValueKind != JsonValueKind.Undefined)
        {
            // For valid UTF-8, which MemoryValue.SizeOf needs too, the raw length is exactly the size it computes.
            ReadOnlySpan<byte> json = JsonMarshal.GetRawUtf8Value(value);
            if (json.Length <= options.MaxValueBytes && Utf8.IsValid(json))
            {
                return value.Clone();
            }
        }
#endif
        return MemoryValue.Prepare(key, value, author, options);
    }

    /// <summary>Checks a key as <see cref="SharedMemoryKeys.Validate"/> does, and with its exceptions.</summary>
    public static void ValidateKey(string key, SharedMemoryOptions options)
    {
        if (!IsValidKey(key, options))
        {
            SharedMemoryKeys.Validate(key, options);
        }
    }

    /// <summary>Checks a delete's author with the words <see cref="MemoryValue.Prepare"/> uses for writes.</summary>
    public static void ValidateAuthor(string author)
    {
        if (string.IsNullOrWhiteSpace(author))
        {
            throw new ArgumentException("Every write names its author (an agent or task id); the author was empty.", nameof(author));
        }
    }

    private static bool IsValidKey(string key, SharedMemoryOptions options) =>
        !string.IsNullOrEmpty(key) && key.Length <= options.MaxKeyLength && !key.AsSpan().ContainsAny(ControlCharacters);
}
