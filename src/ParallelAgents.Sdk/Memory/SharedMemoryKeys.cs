using System.Buffers;

namespace ParallelAgents.Sdk;

/// <summary>The well-known sections of the shared memory, as the original demo used them.</summary>
public static class SharedMemoryKeys
{
    /// <summary>What <see cref="char.IsControl(char)"/> accepts: U+0000 to U+001F and U+007F to U+009F.</summary>
    private static readonly SearchValues<char> ControlCharacters = SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Select(c => (char)c)));

    /// <summary>The prefix of each agent's status: <c>status/&lt;agent&gt;</c>.</summary>
    public const string StatusPrefix = "status/";

    /// <summary>The prefix of discoveries agents share: <c>discoveries/&lt;name&gt;</c>.</summary>
    public const string DiscoveriesPrefix = "discoveries/";

    /// <summary>The prefix of reported and predicted conflicts: <c>conflicts/&lt;name&gt;</c>.</summary>
    public const string ConflictsPrefix = "conflicts/";

    /// <summary>The key of an agent's status.</summary>
    /// <param name="agent">The agent or task id.</param>
    /// <returns><c>status/&lt;agent&gt;</c>.</returns>
    public static string Status(string agent) => StatusPrefix + agent;

    /// <summary>The key of a discovery.</summary>
    /// <param name="name">The discovery's name.</param>
    /// <returns><c>discoveries/&lt;name&gt;</c>.</returns>
    public static string Discovery(string name) => DiscoveriesPrefix + name;

    /// <summary>The key of a conflict.</summary>
    /// <param name="name">The conflict's name.</param>
    /// <returns><c>conflicts/&lt;name&gt;</c>.</returns>
    public static string Conflict(string name) => ConflictsPrefix + name;

    /// <summary>Checks a key against the options' rules.</summary>
    /// <param name="key">The key.</param>
    /// <param name="options">The store's options.</param>
    /// <exception cref="ArgumentException">The key is null, empty, too long or contains control characters.</exception>
    public static void Validate(string key, SharedMemoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (IsValid(key, options))
        {
            return;
        }

        if (string.IsNullOrEmpty(key))
        {
            throw new ArgumentException("A shared memory key must not be empty; use a name such as 'discoveries/api-routes'.", nameof(key));
        }

        if (key.Length > options.MaxKeyLength)
        {
            throw new ArgumentException(
                $"The shared memory key '{key[..Math.Min(40, key.Length)]}...' has {key.Length} characters; the limit is {options.MaxKeyLength} (SharedMemoryOptions.MaxKeyLength).",
                nameof(key));
        }

        foreach (char c in key)
        {
            if (char.IsControl(c))
            {
                throw new ArgumentException($"The shared memory key '{key.Replace("\n", "\\n", StringComparison.Ordinal)}' contains a control character (U+{(int)c:X4}); keys are printable text.", nameof(key));
            }
        }
    }

    /// <summary>Whether <see cref="Validate"/> would accept the key; searches for control characters with vector
    /// instructions, so the check that passes costs little on a store's hot path.</summary>
    internal static bool IsValid(string key, SharedMemoryOptions options) =>
        !string.IsNullOrEmpty(key) && key.Length <= options.MaxKeyLength && !key.AsSpan().ContainsAny(ControlCharacters);
}
