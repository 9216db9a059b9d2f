namespace ParallelAgents.Sdk;

/// <summary>Stands in a log entry for an exception whose text held a secret: it says the same (type, message, stack
/// trace, inner exceptions) with the secrets redacted. Exceptions without secrets are logged as they are.</summary>
internal sealed class RedactedException : Exception
{
    private readonly string _text;

    private RedactedException(string message, string text)
        : base(message) => _text = text;

    /// <summary>The name of the exception type this one stands for.</summary>
    public string? OriginalType { get; private init; }

    public static Exception? From(Exception? exception, SecretRedactor redactor)
    {
        if (exception is null)
        {
            return null;
        }

        string text = exception.ToString();
        string redacted = redactor.Redact(text);
        if (string.Equals(text, redacted, StringComparison.Ordinal))
        {
            return exception;
        }

        return new RedactedException(redactor.Redact(exception.Message), redacted) { OriginalType = exception.GetType().FullName };
    }

    public override string? StackTrace => null;

    public override string ToString() => _text;
}
