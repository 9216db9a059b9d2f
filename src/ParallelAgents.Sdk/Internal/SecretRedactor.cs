using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace ParallelAgents.Sdk;

/// <summary>
/// Replaces secrets with <c>[REDACTED]</c>: the configured secret values (longest first, so that a secret containing
/// another is cut whole), then strings that look like API keys and tokens.
/// </summary>
/// <remarks>
/// The patterns are tuned for few false positives: keys are recognised by their vendor prefix and length (OpenAI and
/// Anthropic <c>sk-</c>, GitHub <c>ghp_</c>/<c>gho_</c>/<c>github_pat_</c>, AWS <c>AKIA</c>, Slack <c>xox?-</c>,
/// Google <c>AIza</c>, JSON web tokens, PEM private keys); a bearer token, a password in a URL, or a value after a
/// name such as <c>api_key=</c>, <c>token:</c> or <c>password=</c> is redacted only when it looks random (long,
/// letters and digits, varied characters), so that <c>max_tokens: 4096</c> or <c>token = GetToken()</c> stay as
/// they are. A text with nothing to redact is returned as the same instance.
/// </remarks>
internal sealed partial class SecretRedactor
{
    public const string Mask = "[REDACTED]";

    /// <summary>Redacts API-key-looking strings only; for what runs outside an engine (a merger on its own).</summary>
    public static SecretRedactor PatternsOnly { get; } = new([]);

    private readonly string[] _secrets;
    private readonly bool _patterns;

    public SecretRedactor(IEnumerable<string> secrets, bool patterns = true)
    {
        _secrets = [.. secrets.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length)];
        _patterns = patterns;
    }

    /// <summary>The configured secret values, longest first.</summary>
    public IReadOnlyList<string> Secrets => _secrets;

    /// <summary>Whether key-looking strings are redacted besides the configured values.</summary>
    public bool RedactsPatterns => _patterns;

    /// <summary>Whether <see cref="Redact(string)"/> can ever change a text.</summary>
    public bool IsEmpty => _secrets.Length == 0 && !_patterns;

    /// <summary>The AI agent's redactor for what goes back to its model (tool results, check feedback): the configured
    /// secrets only. Key-looking strings the agent reads in the repository's files reach it as they are, so that it
    /// cannot write <c>[REDACTED]</c> back over a test fixture; <see cref="WithPatterns"/> is for what it writes down.</summary>
    public static SecretRedactor From(ChatClientAgentOptions options) =>
        new(options.SecretEnvironment.SecretValues().Concat(options.SecretValues), patterns: false);

    /// <summary>This redactor's secrets, with the key patterns as well.</summary>
    public SecretRedactor WithPatterns() => _patterns ? this : new SecretRedactor(_secrets, patterns: true);

    /// <summary>The engine's redactor: the configured values, the values of the named variables and, unless turned
    /// off, of the host's secret variables, then the key patterns.</summary>
    public static SecretRedactor From(RedactionOptions options)
    {
        var values = new List<string>(options.SecretValues.Where(v => !string.IsNullOrEmpty(v)));
        foreach (string name in options.SecretVariables)
        {
            if (!string.IsNullOrWhiteSpace(name) && Environment.GetEnvironmentVariable(name.Trim()) is { Length: > 0 } value)
            {
                values.Add(value);
            }
        }

        if (options.RedactSecretEnvironment)
        {
            values.AddRange(new CommandEnvironmentOptions().SecretValues());
        }

        return new SecretRedactor(values, options.RedactKeyPatterns);
    }

    [return: NotNullIfNotNull(nameof(text))]
    public string? RedactOrNull(string? text) => text is null ? null : Redact(text);

    public string Redact(string text)
    {
        foreach (string secret in _secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        if (!_patterns || text.Length < 12)
        {
            return text;
        }

        // A text with nothing to redact comes back as the same instance (callers compare references to skip work);
        // Replace returns a copy when a name such as "token:" matched but its value was kept.
        string redacted = KeyPattern().Replace(text, static match => Masked(match));
        return string.Equals(redacted, text, StringComparison.Ordinal) ? text : redacted;
    }

    /// <summary>Whether <paramref name="text"/> holds a configured secret or a key-looking string.</summary>
    public bool ContainsSecret(string text) => !string.Equals(Redact(text), text, StringComparison.Ordinal);

    /// <summary>The key-looking strings in <paramref name="text"/> (the configured values are not listed, only the
    /// patterns' finds), each once, in order.</summary>
    public static IReadOnlyList<string> FindKeys(string text)
    {
        var found = new List<string>();
        foreach (Match match in KeyPattern().Matches(text))
        {
            if (!string.Equals(Masked(match), match.Value, StringComparison.Ordinal))
            {
                string key = match.Groups["value"].Success ? match.Groups["value"].Value : match.Value;
                if (!found.Contains(key, StringComparer.Ordinal))
                {
                    found.Add(key);
                }
            }
        }

        return found;
    }

    private static string Masked(Match match)
    {
        Group value = match.Groups["value"];
        if (!value.Success)
        {
            return Mask;
        }

        bool secret = match.Groups["password"].Success ? value.Length >= 3 && value.Value != Mask : LooksRandom(value.ValueSpan, match.Groups["bearer"].Success ? 16 : 12);
        if (!secret)
        {
            return match.Value;
        }

        int start = value.Index - match.Index;
        return string.Concat(match.ValueSpan[..start], Mask, match.ValueSpan[(start + value.Length)..]);
    }

    /// <summary>Whether a value after a secret-sounding name looks like a generated credential rather than a word, a
    /// number, a path or a placeholder: long enough, letters and digits both, and varied (Shannon entropy of at least
    /// 3 bits a character; "aaaa1111aaaa" has 1, a random 16-character key about 4).</summary>
    internal static bool LooksRandom(ReadOnlySpan<char> value, int minLength)
    {
        if (value.Length < minLength || value[0] is '/' or '.' or '~')
        {
            return false;
        }

        bool letter = false, digit = false;
        Span<int> counts = stackalloc int[128];
        foreach (char c in value)
        {
            letter |= char.IsAsciiLetter(c);
            digit |= char.IsAsciiDigit(c);
            counts[c & 127]++;
        }

        if (!letter || !digit)
        {
            return false;
        }

        double entropy = 0;
        foreach (int count in counts)
        {
            if (count > 0)
            {
                double p = (double)count / value.Length;
                entropy -= p * Math.Log2(p);
            }
        }

        return entropy >= 3.0;
    }

    // Alternatives without a "value" group are keys by their shape alone; the others are checked by Masked.
    [GeneratedRegex(
        """
        \bsk-(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}
        | \b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}
        | \bgithub_pat_[A-Za-z0-9_]{22,}
        | \b(?:AKIA|ASIA)[0-9A-Z]{16}\b
        | \bxox[abposr]-(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9-]{10,}
        | \bAIza[0-9A-Za-z_-]{35}
        | \beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}
        | -----BEGIN\ [A-Z ]*PRIVATE\ KEY-----[\s\S]*?-----END\ [A-Z ]*PRIVATE\ KEY-----
        | (?<bearer>\b(?:[Bb]earer|[Bb]asic)\s+)(?<value>[A-Za-z0-9._~+/-]+=*)
        | (?<password>://[^/\s:@]{1,64}:)(?<value>[^/\s:@]+)@
        | \b[A-Za-z0-9_.-]{0,40}(?i:api[_-]?key|secret|token|passw(?:or)?d|access[_-]?key|credentials?)[A-Za-z0-9_.-]{0,40}["']?\s*[:=]\s*["']?(?<value>[A-Za-z0-9+/_.~=-]+)
        """,
        RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex KeyPattern();
}
