using Microsoft.Extensions.Logging;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Internal;

/// <summary>The wrapper every logger the engine hands out goes through.</summary>
public class RedactingLoggerTests
{
    private const string Key = "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R";

    [Fact]
    public void Log_MessageValuesAndException_AreRedacted()
    {
        var sink = new ListLoggerFactory();
        ILogger logger = RedactingLoggerFactory.Wrap(sink, new SecretRedactor(["db-password-42"])).CreateLogger("test");

        logger.LogWarning(new InvalidOperationException($"push with {Key} failed"), "Pushing with {Token} and {Password} ({Count} tries)", Key, "db-password-42", 3);

        ListLoggerFactory.Entry entry = Assert.Single(sink.Entries);
        Assert.Equal("Pushing with [REDACTED] and [REDACTED] (3 tries)", entry.Message);
        Assert.Contains(new KeyValuePair<string, object?>("Token", "[REDACTED]"), entry.Values!);
        Assert.Contains(new KeyValuePair<string, object?>("Count", 3), entry.Values!);
        Assert.Contains(new KeyValuePair<string, object?>("{OriginalFormat}", "Pushing with {Token} and {Password} ({Count} tries)"), entry.Values!);
        Assert.Equal("push with [REDACTED] failed", entry.Exception!.Message);
        Assert.DoesNotContain(Key, entry.Exception.ToString(), StringComparison.Ordinal);
        Assert.Contains(nameof(InvalidOperationException), entry.Exception.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Log_ExceptionWithoutSecrets_IsPassedAsItIs()
    {
        var sink = new ListLoggerFactory();
        ILogger logger = RedactingLoggerFactory.Wrap(sink, SecretRedactor.PatternsOnly).CreateLogger("test");
        var exception = new IOException("disk full");

        logger.LogError(exception, "Writing failed");

        Assert.Same(exception, Assert.Single(sink.Entries).Exception);
    }

    [Fact]
    public void Log_LevelDisabled_NeverFormats()
    {
        var inner = new DisabledLogger();
        var logger = new RedactingLogger(inner, SecretRedactor.PatternsOnly);
        int formatted = 0;

        logger.Log(LogLevel.Debug, default, "state", null, (s, _) => { formatted++; return s; });

        Assert.Equal(0, formatted);
        Assert.Equal(0, inner.Logged);
    }

    [Fact]
    public void Wrap_NullFactoryOrNothingToRedact_ReturnsTheFactory()
    {
        var sink = new ListLoggerFactory();

        Assert.Same(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
            RedactingLoggerFactory.Wrap(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, SecretRedactor.PatternsOnly));
        Assert.Same(sink, RedactingLoggerFactory.Wrap(sink, new SecretRedactor([], patterns: false)));
    }

    private sealed class DisabledLogger : ILogger
    {
        public int Logged { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => false;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) => Logged++;
    }
}
