namespace ParallelAgents.Sdk.Tests.Planning;

/// <summary>The plan-level <c>setup:</c> and <c>verify:</c> lists and the task-level <c>template:</c> field.</summary>
public class PlanCommandsTests
{
    [Fact]
    public void Parse_SetupAndVerify_AreReadInOrder()
    {
        TaskPlan plan = TaskPlan.Parse("""
            setup:
              - npm ci
              - node scripts/seed.js
            verify: [node --test, npm run lint]
            tasks:
              - id: a
                template: backend
                instructions: x
            """);

        Assert.Equal(["npm ci", "node scripts/seed.js"], plan.Setup);
        Assert.Equal(["node --test", "npm run lint"], plan.Verify);
        Assert.Equal("backend", plan["a"].Template);
    }

    [Fact]
    public void Parse_NoSetupOrVerify_GivesEmptyLists()
    {
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: a
                instructions: x
            """);

        Assert.Empty(plan.Setup);
        Assert.Empty(plan.Verify);
        Assert.Null(plan["a"].Template);
    }

    [Fact]
    public void Parse_VerifyNotAList_ReportsLineAndColumn()
    {
        const string yaml = """
            verify: node --test
            tasks:
              - id: a
                instructions: x
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 1, 9, null, "'verify' must be a list");
    }

    [Fact]
    public void Parse_SetupTwice_ReportsTheSecond()
    {
        const string yaml = """
            setup: [npm ci]
            tasks:
              - id: a
                instructions: x
            setup: [npm install]
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 5, 1, null, "'setup' appears twice");
    }

    [Fact]
    public void Parse_MisspelledVerify_SuggestsIt()
    {
        const string yaml = """
            verfy: [node --test]
            tasks:
              - id: a
                instructions: x
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 1, 1, null, "unknown field 'verfy' in the plan", "did you mean 'verify'?");
    }

    [Fact]
    public void Parse_InvalidTemplateName_ReportsIt()
    {
        const string yaml = """
            tasks:
              - id: a
                template: "back end!"
                instructions: x
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 3, 15, "a", "invalid template 'back end!'");
    }

    [Fact]
    public void WithSetupAndWithVerify_ReturnNewPlans_LeavingTheOriginalAlone()
    {
        TaskPlan plan = TaskPlan.Create([new AgentTask { Id = "a", Instructions = "x" }]);

        TaskPlan withCommands = plan.WithSetup("npm ci").WithVerify("node --test");

        Assert.Empty(plan.Setup);
        Assert.Empty(plan.Verify);
        Assert.Equal(["npm ci"], withCommands.Setup);
        Assert.Equal(["node --test"], withCommands.Verify);
        Assert.Same(plan.Tasks, withCommands.Tasks);
    }

    [Fact]
    public void WithVerify_EmptyCommand_ThrowsNamingIt()
    {
        TaskPlan plan = TaskPlan.Create([new AgentTask { Id = "a", Instructions = "x" }]);

        ArgumentException error = Assert.Throws<ArgumentException>(() => plan.WithVerify("node --test", " "));

        Assert.Contains("Command 2 is empty", error.Message, StringComparison.Ordinal);
    }
}
