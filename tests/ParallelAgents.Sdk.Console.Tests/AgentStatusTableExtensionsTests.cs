using Spectre.Console.Testing;

namespace ParallelAgents.Sdk.Console.Tests;

public sealed class AgentStatusTableExtensionsTests
{
    private static TaskPlan Plan() => TaskPlan.Create(
    [
        new AgentTask { Id = "schema", Instructions = "make the schema" },
        new AgentTask { Id = "api", Instructions = "make the API", Dependencies = ["schema"] },
        new AgentTask { Id = "broken", Instructions = "fail" },
        new AgentTask { Id = "after-broken", Instructions = "never runs", Dependencies = ["broken"] },
    ]);

    private static AgentEngine Engine() =>
        new ParallelAgentsBuilder()
            .UseAgent((context, _) => ValueTask.FromResult(context.Task.Id == "broken"
                ? AgentOutcome.Failure("the checks failed", isTransient: false)
                : AgentOutcome.Success($"{context.Task.Id} done")))
            .WithRetry(r => r.MaxAttempts = 1)
            .Build();

    [Fact]
    public async Task RunWithLiveTableAsync_RedirectedConsole_WritesPlainLinesThenTheFinalTable()
    {
        var console = new TestConsole().Width(200);
        await using AgentEngine engine = Engine();

        RunResult result = await engine.RunWithLiveTableAsync(Plan(), console, TestContext.Current.CancellationToken);

        string output = console.Output;
        Assert.Equal(TaskState.Failed, result["broken"].State);
        Assert.DoesNotContain("\u001b[", output);
        Assert.Matches(@"s  run \S+ started", output);
        Assert.Matches(@"s  schema: started attempt 1\n", output);
        Assert.Matches(@"s  api: succeeded\n", output);
        Assert.Matches(@"s  broken: failed: the checks failed\n", output);
        Assert.Matches(@"s  after-broken: skipped: ", output);
        Assert.Contains(result.ToString(), output);
        // The final table comes after the lines, with every task's final state.
        int table = output.IndexOf("4/4 done, 0 running", StringComparison.Ordinal);
        Assert.True(table > output.IndexOf("api: succeeded", StringComparison.Ordinal));
        Assert.Matches(@"schema\s*│\s*Succeeded\s*│\s*1\s*│", output);
        Assert.Matches(@"broken\s*│\s*Failed\s*│\s*1\s*│", output);
        Assert.Matches(@"after-broken\s*│\s*Skipped\s*│\s*│", output);
    }

    [Fact]
    public async Task RunWithLiveTableAsync_AgentReportsProgress_RowCountsItsToolCallsTokensCostAndFiles()
    {
        var console = new TestConsole().Width(200);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent((context, _) =>
            {
                context.Progress.Report(AgentProgress.ModelCall(1_000, 200, 0.01m));
                context.Progress.Report(AgentProgress.ToolCall("write_file", succeeded: true));
                context.Progress.Report(AgentProgress.FileChanged("src/app.js"));
                context.Progress.Report(AgentProgress.ModelCall(300, 20, 0.002m));
                return ValueTask.FromResult(AgentOutcome.Success("done"));
            })
            .Build();

        RunResult result = await engine.RunWithLiveTableAsync(TaskPlan.Create([new AgentTask { Id = "app", Instructions = "x" }]), console, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        string output = console.Output;
        Assert.Matches(@"s  app: tool write_file\n", output);
        Assert.Matches(@"s  app: changed src/app.js\n", output);
        // tools, tokens (1,000 + 200 + 300 + 20), cost, elapsed, files
        Assert.Matches(@"│ app\s+│ Succeeded\s+│\s+1 │ succeeded\s+│\s+1 │\s+1,520 │\s+\$0\.0120 │\s+[0-9.]+s │\s+1 │", output);
    }

    [Fact]
    public async Task RunWithLiveTableAsync_InteractiveConsole_DrawsTheTableLiveWithoutLogLines()
    {
        var console = new TestConsole().Width(200).Interactive().EmitAnsiSequences();
        console.Profile.Capabilities.Ansi = true;
        await using AgentEngine engine = Engine();

        RunResult result = await engine.RunWithLiveTableAsync(Plan(), console, TestContext.Current.CancellationToken);

        string output = console.Output;
        Assert.False(result.Succeeded);
        Assert.Contains("\u001b[", output);
        Assert.DoesNotContain("s  run ", output);
        // The last frame drawn holds the final state of every task.
        string last = output[output.LastIndexOf("run ", StringComparison.Ordinal)..];
        Assert.Contains("4/4 done, 0 running", last);
        Assert.Contains("Succeeded", last);
        Assert.Contains("Skipped", last);
    }

    [Fact]
    public async Task RunWithLiveTableAsync_RunThrows_RethrowsAndEndsTheWatcher()
    {
        var console = new TestConsole().Width(200);
        await using AgentEngine engine = Engine();
        TaskPlan plan = TaskPlan.Create([new AgentTask { Id = "boxed", Instructions = "x", Isolation = "container" }]);

        await Assert.ThrowsAsync<TaskPlanException>(() => engine.RunWithLiveTableAsync(plan, console, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void CanRedraw_DefaultTestConsole_IsFalse()
    {
        Assert.False(AgentStatusTableExtensions.CanRedraw(new TestConsole()));
        var interactive = new TestConsole().Interactive();
        interactive.Profile.Capabilities.Ansi = true;
        Assert.True(AgentStatusTableExtensions.CanRedraw(interactive));
    }
}
