using Microsoft.Extensions.Logging.Abstractions;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Agents;

public class AgentContextTests
{
    [Fact]
    public void Initializer_SetsEveryPropertyAndLeavesTheRestAtTheirDefaults()
    {
        AgentTask task = Plans.Work("api");
        var memory = new InMemorySharedMemory();
        var logger = new NullLoggerFactory().CreateLogger("agent");

        var bare = new AgentContext { RunId = "run-1", Task = task };
        var full = new AgentContext { RunId = "run-2", Task = task, Memory = memory, Logger = logger, Attempt = 2, Lane = 1, PreviousError = "boom" };

        Assert.Equal(("run-1", 1, 0, (ISharedMemory?)null, (string?)null), (bare.RunId, bare.Attempt, bare.Lane, bare.Memory, bare.PreviousError));
        Assert.Same(NullLogger.Instance, bare.Logger);
        Assert.Empty(bare.Dependencies);
        Assert.NotNull(bare.Progress);
        Assert.Equal(("run-2", 2, 1, "boom"), (full.RunId, full.Attempt, full.Lane, full.PreviousError));
        Assert.Same(memory, full.Memory);
        Assert.Same(logger, full.Logger);
        // The two share nothing: setting one context's run id, memory or logger does not touch another's.
        Assert.Equal("run-1", bare.RunId);
    }

    [Fact]
    public async Task EngineContexts_CarryTheRunsIdMemoryAndLoggerOnEveryAttempt()
    {
        var memory = new InMemorySharedMemory();
        var seen = new System.Collections.Concurrent.ConcurrentBag<(string RunId, ISharedMemory? Memory, int Attempt, string? PreviousError)>();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent((context, _) =>
            {
                seen.Add((context.RunId, context.Memory, context.Attempt, context.PreviousError));
                return ValueTask.FromResult(context.Attempt == 1 && context.Task.Id == "b"
                    ? AgentOutcome.Failure("try again", isTransient: true)
                    : AgentOutcome.Success());
            })
            .UseSharedMemory(memory)
            .WithRetry(r => { r.BaseDelay = TimeSpan.Zero; r.MaxDelay = TimeSpan.Zero; })
            .Build();

        RunResult result = await engine.RunAsync(Plans.Of(Plans.Work("a"), Plans.Work("b")), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(3, seen.Count);
        Assert.All(seen, s => Assert.Equal(result.RunId, s.RunId));
        Assert.All(seen, s => Assert.Same(memory, s.Memory));
        Assert.Contains(seen, s => s is { Attempt: 2, PreviousError: "try again" });
    }
}
