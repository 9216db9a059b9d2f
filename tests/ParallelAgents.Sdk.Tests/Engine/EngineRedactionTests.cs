using Microsoft.Extensions.Logging;
using ParallelAgents.Sdk.Tests.TestSupport;
using static ParallelAgents.Sdk.Tests.TestSupport.Plans;

namespace ParallelAgents.Sdk.Tests.Engine;

/// <summary>Secrets never reach the engine's logs: not the engine's own lines, not what agents log through
/// <see cref="AgentContext.Logger"/>, not exceptions.</summary>
public class EngineRedactionTests
{
    private const string Key = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_Q7";
    private const string Configured = "correct-horse-battery";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_SecretsInErrorsAgentLogsAndExceptions_NeverReachTheLog()
    {
        var sink = new ListLoggerFactory();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseLoggerFactory(sink)
            .Configure(o => o.Redaction.SecretValues.Add(Configured))
            .WithRetry(r => r.MaxAttempts = 1)
            .UseAgent((context, _) =>
            {
                if (context.Logger.IsEnabled(LogLevel.Information))
                {
                    context.Logger.LogInformation("Calling the model with {ApiKey}", Key);
                }

                return context.Task.Id == "throws"
                    ? throw new HttpRequestException($"401 for key {Key}")
                    : ValueTask.FromResult(AgentOutcome.Failure($"the database refused password {Configured}"));
            })
            .Build();

        RunResult result = await engine.RunAsync(Of(Work("throws"), Work("fails")), Ct);

        Assert.All(result.Tasks, t => Assert.Equal(TaskState.Failed, t.State));
        Assert.NotEmpty(sink.Entries);
        foreach (ListLoggerFactory.Entry entry in sink.Entries)
        {
            string everything = entry.Message + entry.Exception + string.Join(",", entry.Values ?? []);
            Assert.DoesNotContain(Key, everything, StringComparison.Ordinal);
            Assert.DoesNotContain(Configured, everything, StringComparison.Ordinal);
        }

        Assert.Contains(sink.Entries, e => e.Message == "Calling the model with [REDACTED]");
        Assert.Contains(sink.Entries, e => e.Message.Contains("the database refused password [REDACTED]", StringComparison.Ordinal));
        Assert.Contains(sink.Entries, e => e.Exception?.Message == "401 for key [REDACTED]");
        Assert.Equal(Configured, Assert.Single(engine.Redactor.Secrets, s => s == Configured));
    }

    [Fact]
    public async Task Build_RedactionOff_LogsAsWritten()
    {
        var sink = new ListLoggerFactory();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseLoggerFactory(sink)
            .Configure(o => { o.Redaction.RedactKeyPatterns = false; o.Redaction.RedactSecretEnvironment = false; })
            .UseAgent((context, _) =>
            {
                if (context.Logger.IsEnabled(LogLevel.Information))
                {
                    context.Logger.LogInformation("Calling the model with {ApiKey}", Key);
                }

                return ValueTask.FromResult(AgentOutcome.Success());
            })
            .Build();

        await engine.RunAsync(Of(Work("a")), Ct);

        Assert.Contains(sink.Entries, e => e.Message == "Calling the model with " + Key);
    }

    [Fact]
    public async Task RunAsync_ChatClientAgent_TranscriptsRedactTheEngineSecrets()
    {
        using var folder = new TempFolder();
        var client = new FakeChatClient().Text($"Connected with {Configured}; the key {Key} works.");
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseIsolation(new TempDirectoryProvider("sandbox"))
            .Configure(o =>
            {
                o.DefaultIsolation = "sandbox";
                o.Redaction.SecretValues.Add(Configured);
            })
            .UseChatClient(client, o => o.TranscriptDirectory = folder.Path)
            .Build();

        RunResult result = await engine.RunAsync(Of(Work("a")), Ct);

        Assert.True(result.Succeeded, result.ToString());
        string transcript = File.ReadAllText(Path.Combine(folder.Path, "a", "attempt-1.jsonl"));
        Assert.DoesNotContain(Configured, transcript, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, transcript, StringComparison.Ordinal);
        Assert.Equal("Connected with [REDACTED]; the key [REDACTED] works.", result["a"].Summary);
    }

    [Fact]
    public void Configure_NullSecretList_IsReported()
    {
        var builder = new ParallelAgentsBuilder().UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()));

        var error = Assert.Throws<ParallelAgentsConfigurationException>(() => builder.Configure(o => o.Redaction.SecretVariables = null!));

        Assert.Contains(error.Problems, p => p.Contains("Redaction.SecretVariables", StringComparison.Ordinal));
    }
}
