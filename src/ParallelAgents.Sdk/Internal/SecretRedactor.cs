namespace ParallelAgents.Sdk;

/// <summary>Replaces secret values with <c>[REDACTED]</c>, longest first so that a secret containing another is cut whole.</summary>
internal sealed class SecretRedactor
{
    public const string Mask = "[REDACTED]";

    private readonly string[] _secrets;

    public SecretRedactor(IEnumerable<string> secrets) =>
        _secrets = [.. secrets.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length)];

    public static SecretRedactor From(ChatClientAgentOptions options) =>
        new(options.SecretEnvironment.SecretValues().Concat(options.SecretValues));

    public string Redact(string text)
    {
        foreach (string secret in _secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
