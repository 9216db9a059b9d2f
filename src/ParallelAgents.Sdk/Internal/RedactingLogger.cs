using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>
/// A logger that redacts secrets before the wrapped logger sees an entry: the formatted message, the structured
/// values, and the exception (its message, stack trace and inner exceptions). An entry whose level is off costs one
/// <see cref="ILogger.IsEnabled(LogLevel)"/> call, as without the wrapper; the redaction itself runs when a provider
/// formats or reads the entry.
/// </summary>
internal sealed class RedactingLogger(ILogger inner, SecretRedactor redactor) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var redacted = new RedactedLogState<TState>(state, exception, formatter, redactor);
        inner.Log(logLevel, eventId, redacted, RedactedException.From(exception, redactor), RedactedLogState<TState>.Format);
    }
}
