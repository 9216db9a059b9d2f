using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Agents;

public sealed class ChatClientAgentBudgetTests
{
    [Fact]
    public async Task MaxTurns_Reached_StopsBeforeTheNextCallAndEndsBudgetExceeded()
    {
        await using var h = AgentHarness.Create();
        h.Options.MaxTurns = 2;
        h.Client.Call("list_files").Call("list_files").Call("list_files").Text("never reached");

        AgentOutcome outcome = await h.RunAsync();

        Assert.Equal(AgentOutcomeStatus.BudgetExceeded, outcome.Status);
        Assert.False(outcome.IsTransient);
        Assert.Contains("turn limit of 2", outcome.Error);
        Assert.Equal(2, h.Client.Requests.Count);
        Assert.Equal(2, outcome.Usage!.Turns);
    }

    [Fact]
    public async Task MaxToolCalls_Reached_TheExtraCallIsNotRunAndEndsBudgetExceeded()
    {
        await using var h = AgentHarness.Create();
        h.Options.MaxToolCalls = 1;
        h.Client.Call("write_file", new { path = "a.txt", content = "a" }).Call("write_file", new { path = "b.txt", content = "b" }).Text("never reached");

        AgentOutcome outcome = await h.RunAsync();

        Assert.Equal(AgentOutcomeStatus.BudgetExceeded, outcome.Status);
        Assert.Contains("tool-call limit of 1", outcome.Error);
        Assert.True(File.Exists(Path.Combine(h.Workspace.RootPath, "a.txt")));
        Assert.False(File.Exists(Path.Combine(h.Workspace.RootPath, "b.txt")));
        Assert.Equal(1, outcome.Usage!.ToolCalls);
        Assert.Equal(2, h.Client.Requests.Count);
    }

    [Fact]
    public async Task TaskTokenBudget_Spent_WorkCommittedAndBudgetExceeded()
    {
        await using var h = AgentHarness.Create(git: true, taskId: "backend");
        h.Options.MaxTokensPerTask = 1_000;
        h.Client
            .Call("write_file", new { path = "api.js", content = "module.exports = {};\n" }, inputTokens: 600, outputTokens: 500)
            .Text("never reached");

        AgentOutcome outcome = await h.RunAsync();

        Assert.Equal(AgentOutcomeStatus.BudgetExceeded, outcome.Status);
        Assert.Contains("token budget of 1,000", outcome.Error);
        Assert.Contains("committed", outcome.Error);
        Assert.Single(h.Client.Requests);
        Assert.Equal(new AgentUsage(600, 500, 0m, 1, 1), outcome.Usage);

        string log = TestWorkspace.Git(h.Workspace.RootPath, "log", "--format=%s", "agent/backend");
        Assert.StartsWith("backend: work so far (the agent stopped: the task's token budget", log);
        Assert.Equal("api.js\n", TestWorkspace.Git(h.Workspace.RootPath, "show", "--name-only", "--format=", "HEAD"));
        Assert.Equal("", TestWorkspace.Git(h.Workspace.RootPath, "status", "--porcelain"));
    }

    [Fact]
    public async Task TokenBudget_SpentWithoutGit_WorkLeftInTheFilesAndSaidSo()
    {
        await using var h = AgentHarness.Create();
        h.Options.MaxTokensPerTask = 10;
        h.Client.Call("write_file", new { path = "a.txt", content = "a" }, inputTokens: 20).Text("never reached");

        AgentOutcome outcome = await h.RunAsync();

        Assert.Equal(AgentOutcomeStatus.BudgetExceeded, outcome.Status);
        Assert.Contains("not a git checkout", outcome.Error);
        Assert.True(File.Exists(Path.Combine(h.Workspace.RootPath, "a.txt")));
    }

    [Fact]
    public async Task RunBudget_SharedByTwoAgents_TheSecondStopsBeforeItsFirstCall()
    {
        var budget = new TokenBudget(100);
        await using var first = AgentHarness.Create(taskId: "first");
        await using var second = AgentHarness.Create(taskId: "second");
        first.Options.RunBudget = budget;
        second.Options.RunBudget = budget;
        first.Client.Text("done", inputTokens: 80, outputTokens: 30);
        second.Client.Text("never reached");

        AgentOutcome a = await first.RunAsync();
        AgentOutcome b = await second.RunAsync();

        Assert.True(a.Succeeded);
        Assert.Equal(AgentOutcomeStatus.BudgetExceeded, b.Status);
        Assert.Contains("run's token budget is spent (110 of 100 tokens used)", b.Error);
        Assert.Empty(second.Client.Requests);
        Assert.True(budget.IsExhausted);
        Assert.Equal(0, budget.RemainingTokens);
    }

    [Fact]
    public async Task TokenBudget_ConcurrentRecords_CountsEveryToken()
    {
        var budget = new TokenBudget(long.MaxValue);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                budget.Record(3);
            }
        }, TestContext.Current.CancellationToken)));

        Assert.Equal(240_000, budget.UsedTokens);
    }

    [Fact]
    public async Task Prices_ModelInTheTable_CostIsComputed()
    {
        await using var h = AgentHarness.Create();
        h.Options.Prices["FAKE-MODEL"] = new ModelPrice(InputPerMillion: 2m, OutputPerMillion: 10m);
        h.Client.Call("list_files", inputTokens: 1_000_000, outputTokens: 100_000).Text("done", inputTokens: 500_000, outputTokens: 0);

        AgentOutcome outcome = await h.RunAsync();

        Assert.Equal(new AgentUsage(1_500_000, 100_000, 4m, 1, 2), outcome.Usage);
    }

    [Fact]
    public async Task Streaming_UsageReadFromTheStream()
    {
        await using var h = AgentHarness.Create();
        h.Options.UseStreaming = true;
        h.Client
            .Call("write_file", new { path = "a.txt", content = "a" }, inputTokens: 7, outputTokens: 3)
            .Call("finish", new { summary = "streamed" }, inputTokens: 11, outputTokens: 2)
            .Text("streamed text", inputTokens: 1, outputTokens: 1);

        AgentOutcome outcome = await h.RunAsync(h.Task(checks: ["test -f a.txt"]));
        AgentOutcome textOnly = await h.RunAsync();

        Assert.True(outcome.Succeeded, outcome.ToString());
        Assert.Equal("streamed", outcome.Summary);
        Assert.Equal("streamed text", textOnly.Summary);
        Assert.All(h.Client.Requests, r => Assert.True(r.Streaming));
        Assert.Equal(new AgentUsage(18, 5, 0m, 2, 2), outcome.Usage);
        Assert.True(File.Exists(Path.Combine(h.Workspace.RootPath, "a.txt")));
    }

    [Fact]
    public async Task Engine_BudgetExceeded_TaskFailsWithoutRetry()
    {
        var client = new FakeChatClient();
        client.Text("never reached");
        var agent = new ChatClientAgent(client, new ChatClientAgentOptions { TranscriptDirectory = null, RunBudget = Spent() });
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(agent)
            .UseIsolation(new TempDirectoryProvider("worktree"))
            .WithRetry(r => { r.BaseDelay = TimeSpan.Zero; r.MaxDelay = TimeSpan.Zero; r.MaxAttempts = 3; })
            .Build();

        RunResult result = await engine.RunAsync(Plans.Of(Plans.Work("api")), TestContext.Current.CancellationToken);

        TaskResult task = Assert.Single(result.Tasks);
        Assert.Equal(TaskState.Failed, task.State);
        Assert.Single(task.Attempts);
        Assert.Contains("The agent stopped before the task was done: the run's token budget is spent", task.Error);
        Assert.Empty(client.Requests);
    }

    private static TokenBudget Spent()
    {
        var budget = new TokenBudget(1);
        budget.Record(1);
        return budget;
    }
}
