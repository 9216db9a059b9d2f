using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// What redaction costs: the engine's redactor (configured secrets and the key patterns) against the configured
/// secrets alone (what transcripts paid before), on a log line, a log line with a key and a command's 64 KB output;
/// and a log call through the redacting logger against the plain logger, with the level on and off.
/// </summary>
[MemoryDiagnoser]
public class RedactionBenchmarks
{
    private static readonly string[] Secrets = ["hunter2-db-password", "another-configured-secret-value"];
    private readonly SecretRedactor _configuredOnly = new(Secrets, patterns: false);
    private readonly SecretRedactor _withPatterns = new(Secrets);
    private string _text = "";
#pragma warning disable CA1859 // Called through ILogger, as the engine and its agents call them.
    private ILogger _plain = null!;
    private ILogger _redacting = null!;
#pragma warning restore CA1859

    /// <summary>What is redacted.</summary>
    [Params("log line", "log line with key", "command output 64 KB")]
    public string Text { get; set; } = "";

    /// <summary>Whether the logger's level is on.</summary>
    [Params(true, false)]
    public bool LevelOn { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const string Line = "Task backend-api: branch agent/backend-api Merged into main: merged 3f2a9c1d4b5e with 12 files in 84 ms";
        _text = Text switch
        {
            "log line" => Line,
            "log line with key" => Line + " using sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_Q7",
            _ => CommandOutput(),
        };
        var sink = new CountingLogger(LevelOn);
        _plain = sink;
        _redacting = new RedactingLogger(sink, _withPatterns);
    }

    [Benchmark(Baseline = true, Description = "configured secrets only")]
    public string ConfiguredOnly() => _configuredOnly.Redact(_text);

    [Benchmark(Description = "configured secrets and key patterns")]
    public string WithPatterns() => _withPatterns.Redact(_text);

    [Benchmark(Description = "log call, plain logger")]
    public void LogPlain() => _plain.Log(LogLevel.Information, default, _text, null, static (s, _) => s);

    [Benchmark(Description = "log call, redacting logger")]
    public void LogRedacting() => _redacting.Log(LogLevel.Information, default, _text, null, static (s, _) => s);

    private static string CommandOutput()
    {
        var output = new StringBuilder();
        for (int i = 0; output.Length < 64 * 1024; i++)
        {
            output.Append("  ✓ renders the order list with ").Append(i).Append(" items (12 ms)\n");
            if (i % 50 == 0)
            {
                output.Append("npm WARN deprecated inflight@1.0.6: This module is not supported; token count 4096\n");
            }
        }

        return output.ToString();
    }

    /// <summary>A sink that formats every enabled entry, as a console or file provider does, and keeps only its length.</summary>
    private sealed class CountingLogger(bool enabled) : ILogger
    {
        public long Characters { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => enabled;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (enabled)
            {
                Characters += formatter(state, exception).Length;
            }
        }
    }
}
