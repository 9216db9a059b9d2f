namespace ParallelAgents.Sdk.Tests.Agents;

public sealed class ChatClientAgentOptionsTests
{
    [Fact]
    public void Constructor_BadOptions_OneExceptionListsEveryProblem()
    {
        var options = new ChatClientAgentOptions { MaxTurns = 0, MaxToolCalls = -1, MaxTokensPerTask = 0, CommandTimeout = TimeSpan.Zero, DefaultTemplate = "nope" };
        options.DeniedCommands.Add(" ");

        ArgumentException e = Assert.Throws<ArgumentException>(() => new ChatClientAgent(new TestSupport.FakeChatClient(), options));

        Assert.Contains("6 problems", e.Message);
        Assert.Contains("MaxTurns is 0", e.Message);
        Assert.Contains("MaxToolCalls is -1", e.Message);
        Assert.Contains("MaxTokensPerTask is 0", e.Message);
        Assert.Contains("CommandTimeout", e.Message);
        Assert.Contains("DefaultTemplate is 'nope', which is not in Templates (known: backend, database, frontend, test)", e.Message);
        Assert.Contains("DeniedCommands has an empty entry", e.Message);
    }

    [Fact]
    public void Templates_Default_TheFourBuiltInsIgnoringCase()
    {
        var options = new ChatClientAgentOptions();

        Assert.Equal(["frontend", "backend", "database", "test"], options.Templates.Keys);
        Assert.Same(AgentTemplate.Test, options.Templates["Test"]);
        Assert.Equal(["node --test"], AgentTemplate.Test.DefaultChecks);
    }

    [Fact]
    public void ModelPrice_CostOf_PerMillionTokens()
    {
        Assert.Equal(0.0125m, new ModelPrice(2.5m, 10m).CostOf(1_000, 1_000));
    }

    [Fact]
    public void AgentOutcome_BudgetExceeded_NotTransientWithUsage()
    {
        var usage = new AgentUsage(10, 5, 0.1m, 2, 3);

        AgentOutcome outcome = AgentOutcome.BudgetExceeded("out of tokens", usage);

        Assert.Equal(AgentOutcomeStatus.BudgetExceeded, outcome.Status);
        Assert.False(outcome.Succeeded);
        Assert.False(outcome.IsTransient);
        Assert.Same(usage, outcome.Usage);
        Assert.Equal(15, usage.TotalTokens);
        Assert.Equal("Budget exceeded: out of tokens", outcome.ToString());
    }
}
