using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk;

/// <summary>Hands out loggers that redact secrets from what they write (see <see cref="RedactingLogger"/>). The
/// wrapped factory stays the caller's: disposing this one does not dispose it.</summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner, SecretRedactor redactor) : ILoggerFactory
{
    public ILoggerFactory Inner => inner;

    /// <summary><paramref name="factory"/> wrapped so that its loggers redact; returned as it is when it logs nowhere
    /// or there is nothing to redact, so that a silent engine pays nothing.</summary>
    public static ILoggerFactory Wrap(ILoggerFactory factory, SecretRedactor redactor) =>
        factory is NullLoggerFactory || factory is RedactingLoggerFactory || redactor.IsEmpty ? factory : new RedactingLoggerFactory(factory, redactor);

    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName), redactor);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
    }
}
