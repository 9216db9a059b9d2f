namespace ParallelAgents.Sdk;

/// <summary>
/// What the engine redacts (replaces with <c>[REDACTED]</c>) from everything it writes: its log lines (messages,
/// structured values and exceptions), merge reports, agent transcripts and status files.
/// </summary>
/// <remarks>Secrets are read when the engine is built: a variable set later is not redacted by that engine.</remarks>
public sealed class RedactionOptions
{
    /// <summary>Secret values to redact wherever they appear, such as a database password the agents' commands use.</summary>
    /// <value>The default is none.</value>
    public IList<string> SecretValues { get; set; } = [];

    /// <summary>Names of environment variables whose values are secrets, redacted wherever they appear (such as
    /// <c>STRIPE_LIVE_CREDENTIALS</c>); a variable that is not set is ignored.</summary>
    /// <value>The default is none.</value>
    public IList<string> SecretVariables { get; set; } = [];

    /// <summary>Whether the values of the host's variables that look like secrets by their names (the patterns of
    /// <see cref="CommandEnvironmentOptions.DefaultSecretPatterns"/>: <c>*API_KEY*</c>, <c>*TOKEN*</c>,
    /// <c>*PASSWORD*</c>...) are redacted too. Values shorter than 6 characters are left alone, as they would match
    /// ordinary text.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RedactSecretEnvironment { get; set; } = true;

    /// <summary>Whether strings that look like API keys and tokens are redacted even when they are not configured:
    /// OpenAI and Anthropic (<c>sk-</c>), GitHub (<c>ghp_</c>, <c>gho_</c>, <c>github_pat_</c>...), AWS access keys
    /// (<c>AKIA</c>), Slack (<c>xoxb-</c>...), Google (<c>AIza</c>), JSON web tokens, PEM private keys, bearer tokens,
    /// passwords in URLs, and random-looking values after names such as <c>api_key=</c>, <c>token:</c> or
    /// <c>password=</c>.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RedactKeyPatterns { get; set; } = true;

    internal void Validate(List<string> problems)
    {
        if (SecretValues is null)
        {
            problems.Add("Redaction.SecretValues must not be null; use an empty list for none.");
        }

        if (SecretVariables is null)
        {
            problems.Add("Redaction.SecretVariables must not be null; use an empty list for none.");
            return;
        }

        foreach (string name in SecretVariables)
        {
            if (!CommandEnvironmentOptions.IsValidName(name?.Trim()))
            {
                problems.Add($"Redaction.SecretVariables has '{name}', which is not a variable name (it is empty or holds '=' or NUL).");
            }
        }
    }

    internal RedactionOptions Clone() => new()
    {
        SecretValues = [.. SecretValues],
        SecretVariables = [.. SecretVariables],
        RedactSecretEnvironment = RedactSecretEnvironment,
        RedactKeyPatterns = RedactKeyPatterns,
    };
}
