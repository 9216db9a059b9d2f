using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>A logger factory that keeps every entry with the scopes it was written in.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory
{
    private readonly AsyncLocal<ImmutableStack> _scopes = new();

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    internal sealed record Entry(
        LogLevel Level, string Message, IReadOnlyList<string> Scopes, Exception? Exception = null, IReadOnlyList<KeyValuePair<string, object?>>? Values = null);

    private sealed record ImmutableStack(string Value, ImmutableStack? Next);

    private sealed class Logger(ListLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            ImmutableStack? previous = owner._scopes.Value;
            owner._scopes.Value = new ImmutableStack(state.ToString() ?? string.Empty, previous);
            return new Pop(() => owner._scopes.Value = previous!);
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new List<string>();
            for (ImmutableStack? s = owner._scopes.Value; s is not null; s = s.Next)
            {
                scopes.Add(s.Value);
            }

            owner.Entries.Enqueue(new Entry(logLevel, formatter(state, exception), scopes, exception,
                state is IReadOnlyList<KeyValuePair<string, object?>> values ? [.. values] : null));
        }
    }

    private sealed class Pop(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}

internal static class LoggerTestExtensions
{
    public static void LogInformationMessage(this ILogger logger, string message) =>
        logger.Log(LogLevel.Information, default, message, null, (s, _) => s);
}
