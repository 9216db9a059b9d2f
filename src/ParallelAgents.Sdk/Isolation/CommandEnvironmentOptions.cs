namespace ParallelAgents.Sdk;

/// <summary>
/// The environment variables of the commands run in workspaces: which of the host's variables are secrets and kept
/// from every command, and which variables every command gets.
/// </summary>
/// <remarks>
/// A command starts with the host process's environment minus its secrets: every variable whose name matches one of
/// <see cref="SecretPatterns"/> or is in <see cref="SecretNames"/>, unless it is in <see cref="AllowedVariables"/>.
/// Then <see cref="Variables"/> are set, then the command's own <see cref="CommandRequest.Environment"/>; a secret
/// reaches a command only when it is named there explicitly with its value. Names are compared ignoring case.
/// </remarks>
public sealed class CommandEnvironmentOptions
{
    /// <summary>The secret patterns used by default: API keys, tokens, secrets, passwords, credentials, private
    /// keys, connection strings and cloud sign-in variables.</summary>
    public static IReadOnlyList<string> DefaultSecretPatterns { get; } =
    [
        "*API_KEY*", "*APIKEY*", "*_KEY", "*_KEY_*", "*ACCESS_KEY*", "*PRIVATE_KEY*", "*SIGNING_KEY*",
        "*TOKEN*", "*SECRET*", "*PASSWORD*", "*PASSWD*", "*PASSPHRASE*", "*_PWD", "*_PAT",
        "*CREDENTIAL*", "*_CREDS", "*_AUTH", "*_AUTH_*", "*COOKIE*", "*WEBHOOK*",
        "*DATABASE_URL*", "*_DSN", "*CONNECTION_STRING*", "CONNECTIONSTRINGS__*", "REDIS_URL", "MONGO*_URI", "MONGO*_URL",
        "AWS_*", "AZURE_*_KEY", "GOOGLE_APPLICATION_CREDENTIALS",
    ];

    /// <summary>Glob patterns (<c>*</c> any run of characters, <c>?</c> one character) of variable names removed
    /// from every command's environment, compared ignoring case.</summary>
    /// <value>The default is a copy of <see cref="DefaultSecretPatterns"/>; add to it rather than replace it.</value>
    public IList<string> SecretPatterns { get; set; } = [.. DefaultSecretPatterns];

    /// <summary>Names of further variables removed from every command's environment, compared ignoring case.</summary>
    /// <value>The default is <c>SSH_AUTH_SOCK</c> (it lets a command sign in with the user's SSH keys) and
    /// <c>GPG_AGENT_INFO</c>.</value>
    public IList<string> SecretNames { get; set; } = ["SSH_AUTH_SOCK", "GPG_AGENT_INFO"];

    /// <summary>Names of variables kept even when a secret pattern or name matches them, compared ignoring case.</summary>
    /// <value>The default is none.</value>
    public IList<string> AllowedVariables { get; set; } = [];

    /// <summary>Variables set for every command, such as a shared dependency cache (<c>npm_config_cache</c>); a
    /// command's <see cref="CommandRequest.Environment"/> overrides them.</summary>
    /// <value>The default is <c>GIT_TERMINAL_PROMPT=0</c>, so that git fails instead of waiting for a password.</value>
    public IDictionary<string, string> Variables { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["GIT_TERMINAL_PROMPT"] = "0",
    };

    /// <summary>Secret values shorter than this are not redacted from transcripts: they would match ordinary text.</summary>
    internal const int MinRedactedLength = 6;

    /// <summary>Whether the variable <paramref name="name"/> is a secret kept from commands.</summary>
    /// <param name="name">A variable name.</param>
    /// <returns><see langword="true"/> when a secret pattern or name matches it and it is not allowed.</returns>
    public bool IsSecret(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Contains(AllowedVariables, name))
        {
            return false;
        }

        if (Contains(SecretNames, name))
        {
            return true;
        }

        foreach (string pattern in SecretPatterns)
        {
            if (GlobMatches(pattern, name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The values of the host process's secret variables, longest first, to redact from transcripts and
    /// logs; values shorter than 6 characters are left out, as they would match ordinary text.</summary>
    internal IReadOnlyList<string> SecretValues()
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && entry.Value is string value && value.Length >= MinRedactedLength && IsSecret(name))
            {
                values.Add(value);
            }
        }

        return [.. values.OrderByDescending(v => v.Length).ThenBy(v => v, StringComparer.Ordinal)];
    }

    internal void Validate(List<string> problems)
    {
        ValidateNames(problems, nameof(SecretPatterns), SecretPatterns, isPattern: true);
        ValidateNames(problems, nameof(SecretNames), SecretNames, isPattern: false);
        ValidateNames(problems, nameof(AllowedVariables), AllowedVariables, isPattern: false);
        if (Variables is null)
        {
            problems.Add("CommandEnvironment.Variables must not be null; use an empty dictionary for none.");
            return;
        }

        foreach ((string name, string value) in Variables)
        {
            if (!IsValidName(name))
            {
                problems.Add($"CommandEnvironment.Variables has the name '{name}', which is not a variable name (it is empty or holds '=' or NUL).");
            }

            if (value is null || value.Contains('\0', StringComparison.Ordinal))
            {
                problems.Add($"CommandEnvironment.Variables['{name}'] must be a text without NUL characters; remove the entry to set nothing.");
            }
        }
    }

    internal CommandEnvironmentOptions Clone() => new()
    {
        SecretPatterns = [.. SecretPatterns],
        SecretNames = [.. SecretNames],
        AllowedVariables = [.. AllowedVariables],
        Variables = new Dictionary<string, string>(Variables, StringComparer.Ordinal),
    };

    internal static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && !name.Contains('=', StringComparison.Ordinal) && !name.Contains('\0', StringComparison.Ordinal);

    /// <summary>Matches a glob with <c>*</c> and <c>?</c> against a whole name, ignoring case.</summary>
    internal static bool GlobMatches(string pattern, string name)
    {
        int p = 0, n = 0, star = -1, resume = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToUpperInvariant(pattern[p]) == char.ToUpperInvariant(name[n])))
            {
                p++;
                n++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                // Remember where the star was, so a later mismatch can let it swallow one more character.
                star = p++;
                resume = n;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool Contains(IList<string> names, string name)
    {
        foreach (string candidate in names)
        {
            if (string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static void ValidateNames(List<string> problems, string property, IList<string>? names, bool isPattern)
    {
        if (names is null)
        {
            problems.Add($"CommandEnvironment.{property} must not be null; use an empty list for none.");
            return;
        }

        foreach (string name in names)
        {
            if (!IsValidName(name))
            {
                problems.Add($"CommandEnvironment.{property} has '{name}', which is not a variable name (it is empty or holds '=' or NUL).");
            }
            else if (isPattern && name.All(c => c is '*' or '?'))
            {
                problems.Add($"CommandEnvironment.{property} has '{name}', which matches every variable, PATH and HOME too; name the secrets instead, such as '*_API_KEY'.");
            }
        }
    }
}
