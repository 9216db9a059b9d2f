using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.DependencyInjection;

/// <summary>The review before merge and the redaction settings, registered through the container.</summary>
public class ReviewAndRedactionRegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UseMergeApproval_ApproverFromTheContainer_ReviewsEveryBranch()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        var services = new ServiceCollection();
        services.AddSingleton(new ReviewLog());
        services.AddParallelAgents(o => o.ReportsDirectory = null)
            .UseRepository(repo.Path)
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync(context.Task.Id + ".txt", "x\n", ct);
                return AgentOutcome.Success();
            })
            .UseMergeApproval<ApproveAllButB>(o => o.RunChecks = false);
        await using ServiceProvider provider = services.BuildServiceProvider();
        AgentEngine engine = provider.GetRequiredService<AgentEngine>();

        RunResult result = await engine.RunAsync(TaskPlan.Parse("""
            tasks:
              - id: a
                instructions: x
              - id: b
                instructions: y
            """), Ct);

        Assert.Equal(TaskState.Succeeded, result["a"].State);
        Assert.Equal(TaskState.Rejected, result["b"].State);
        Assert.Equal(["a", "b"], provider.GetRequiredService<ReviewLog>().Reviewed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AddParallelAgents_RedactionSection_BindsAndReachesTheEngine()
    {
        using var variable = new EnvironmentVariable("PA_TEST_DI_SHOP_SECRET_VALUE", "value-from-the-variable");
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ParallelAgents:Redaction:SecretValues:0"] = "first-configured",
            ["ParallelAgents:Redaction:SecretValues:1"] = "second-configured",
            ["ParallelAgents:Redaction:SecretVariables:0"] = "PA_TEST_DI_SHOP_SECRET_VALUE",
            ["ParallelAgents:Redaction:RedactKeyPatterns"] = "false",
            ["ParallelAgents:Redaction:RedactSecretEnvironment"] = "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddParallelAgents().UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()));
        await using ServiceProvider provider = services.BuildServiceProvider();

        ParallelAgentsOptions options = provider.GetRequiredService<IOptions<ParallelAgentsOptions>>().Value;
        AgentEngine engine = provider.GetRequiredService<AgentEngine>();

        Assert.Empty(options.ConfigurationProblems);
        Assert.Equal(["first-configured", "second-configured"], options.Redaction.SecretValues);
        Assert.False(options.Redaction.RedactKeyPatterns);
        Assert.Equal("[REDACTED] [REDACTED] [REDACTED] sk-4fG7hK2mN9pQ1rS5tV8wX3yZ6aB0cD",
            engine.Redactor.Redact("first-configured second-configured value-from-the-variable sk-4fG7hK2mN9pQ1rS5tV8wX3yZ6aB0cD"));
    }

    [Fact]
    public async Task AddParallelAgents_MisspeltRedactionKey_IsListed()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ParallelAgents:Redaction:SecretVariable:0"] = "X",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddParallelAgents().UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()));
        await using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<ParallelAgentsConfigurationException>(() => provider.GetRequiredService<AgentEngine>());

        Assert.Contains("The configuration key 'ParallelAgents:Redaction:SecretVariable' is not a ParallelAgents setting; did you mean 'SecretVariables'?.", error.Problems);
    }

    private sealed class ReviewLog
    {
        public System.Collections.Concurrent.ConcurrentBag<string> Reviewed { get; } = [];
    }

    private sealed class ApproveAllButB(ReviewLog log) : IMergeApprover
    {
        public ValueTask<ReviewDecision> ReviewAsync(MergeReview review, CancellationToken cancellationToken = default)
        {
            log.Reviewed.Add(review.Task.Id);
            return ValueTask.FromResult(review.Task.Id == "b" ? ReviewDecision.Reject("not b") : ReviewDecision.Approve());
        }
    }
}
