using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk.Tests.Agents;

public sealed class ChatClientAgentCheckTests
{
    private const string Check = "cat app.txt; grep -q fixed app.txt";

    [Fact]
    public async Task Checks_FailThenPass_OutputFedBackAndTheAgentFixesIt()
    {
        await using var h = AgentHarness.Create();
        h.Client
            .Call("write_file", new { path = "app.txt", content = "broken build\n" })
            .Call("finish", new { summary = "first try" })
            .Call("edit_file", new { path = "app.txt", old_text = "broken", new_text = "fixed" })
            .Call("finish", new { summary = "fixed the build" });

        AgentOutcome outcome = await h.RunAsync(h.Task(checks: [Check]));

        Assert.True(outcome.Succeeded, outcome.ToString());
        Assert.Equal("fixed the build", outcome.Summary);
        ChatMessage feedback = h.Client.Requests[2].Messages[^1];
        Assert.Equal(ChatRole.User, feedback.Role);
        Assert.Contains("1 check failed (round 1 of 3)", feedback.Text);
        Assert.Contains($"Check `{Check}` failed [exit code 1]\nbroken build", feedback.Text);
        Assert.Equal(2, h.Workspace.Commands.Count(c => c.Command == Check));

        // Providers reject a history with a tool call left unanswered: finish's call must have its result.
        var history = h.Client.Requests[2].Messages.SelectMany(m => m.Contents).ToList();
        Assert.Equal(
            history.OfType<FunctionCallContent>().Select(c => c.CallId),
            history.OfType<FunctionResultContent>().Select(r => r.CallId));
    }

    [Fact]
    public async Task Checks_NeverPass_FailsAfterMaxCheckRoundsNotTransient()
    {
        await using var h = AgentHarness.Create();
        h.Options.MaxCheckRounds = 2;
        h.Client.Call("finish", new { summary = "a" }).Call("finish", new { summary = "b" }).Text("never reached");

        AgentOutcome outcome = await h.RunAsync(h.Task(checks: ["echo nope; exit 1"], maxAttempts: 5));

        Assert.Equal(AgentOutcomeStatus.Failed, outcome.Status);
        Assert.False(outcome.IsTransient);
        Assert.StartsWith("The checks still fail after 2 rounds", outcome.Error);
        Assert.Contains("nope", outcome.Error);
        Assert.Equal(1, h.Client.Remaining);
    }

    [Fact]
    public async Task CheckRounds_Default_TheTasksMaxAttempts()
    {
        await using var h = AgentHarness.Create();
        h.Client.Text("a").Text("b").Text("never reached");

        AgentOutcome outcome = await h.RunAsync(h.Task(checks: ["exit 1"], maxAttempts: 2));

        Assert.StartsWith("The checks still fail after 2 rounds", outcome.Error);
    }

    [Fact]
    public async Task Template_Test_AddsItsPromptAndRunsNodeTest()
    {
        await using var h = AgentHarness.Create(taskId: "tests");
        h.Client
            .Call("write_file", new { path = "math.test.js", content = "const test = require('node:test');\nconst assert = require('node:assert');\ntest('adds', () => assert.strictEqual(1 + 1, 2));\n" })
            .Call("finish", new { summary = "tests written" });

        AgentOutcome outcome = await h.RunAsync(h.Task(template: "TEST", checks: ["test -f math.test.js"]));

        Assert.True(outcome.Succeeded, outcome.ToString());
        Assert.Equal(["test -f math.test.js", "node --test"], h.Workspace.Commands.Select(c => c.Command));
        Assert.Contains("You are a test engineer.", h.SystemPrompt);
        Assert.Contains("- node --test", h.SystemPrompt);
    }

    [Fact]
    public async Task Template_FromTheTaskFile_ChosenByTheTemplateField()
    {
        await using var h = AgentHarness.Create(taskId: "schema");
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: schema
                template: database
                instructions: Create the tasks table.
                checks:
                  - test -d .
            """);
        h.Client.Text("done");

        AgentOutcome outcome = await h.RunAsync(plan.Tasks[0]);

        Assert.True(outcome.Succeeded, outcome.ToString());
        Assert.Contains("You are a database engineer.", h.SystemPrompt);
        Assert.Equal(["test -d .", "if [ -f package.json ]; then npm run --if-present test; fi"], h.Workspace.Commands.Select(c => c.Command));
    }

    [Fact]
    public async Task Template_UserRegistered_UsedByName()
    {
        await using var h = AgentHarness.Create();
        h.Options.Templates["python"] = new AgentTemplate { Name = "python", Instructions = "Write idiomatic Python 3.", DefaultChecks = ["test -f main.py"] };
        h.Client.Call("finish", new { summary = "x" }).Call("write_file", new { path = "main.py", content = "print(1)\n" }).Call("finish", new { summary = "y" });

        AgentOutcome outcome = await h.RunAsync(h.Task(template: "python"));

        Assert.True(outcome.Succeeded, outcome.ToString());
        Assert.Contains("Write idiomatic Python 3.", h.SystemPrompt);
        Assert.Equal(2, h.Workspace.Commands.Count);
    }

    [Fact]
    public async Task Template_Unknown_FailsNotTransientNamingTheKnownOnes()
    {
        await using var h = AgentHarness.Create(taskId: "ui");
        h.Client.Text("never reached");

        AgentOutcome outcome = await h.RunAsync(h.Task(template: "mobile"));

        Assert.Equal(AgentOutcomeStatus.Failed, outcome.Status);
        Assert.False(outcome.IsTransient);
        Assert.Contains("Task 'ui' asks for the agent template 'mobile', which is not registered; known templates: backend, database, frontend, test.", outcome.Error);
        Assert.Empty(h.Client.Requests);
    }

    [Fact]
    public async Task Template_Default_UsedWhenTheTaskNamesNone()
    {
        await using var h = AgentHarness.Create();
        h.Options.DefaultTemplate = "backend";
        h.Client.Text("done");

        await h.RunAsync();

        Assert.Contains("You are a backend engineer.", h.SystemPrompt);
        Assert.Equal(["if [ -f package.json ]; then npm run --if-present test; fi"], h.Workspace.Commands.Select(c => c.Command));
    }

    [Fact]
    public async Task Judge_CriterionUnmet_FedBackThenMetAndRecorded()
    {
        await using var h = AgentHarness.Create();
        h.Options.JudgeCriteriaWithModel = true;
        h.Client
            .Call("finish", new { summary = "first" })
            .Text("""Verdict: [{"criterion": "Endpoints return JSON", "met": false, "reason": "GET /health returns text"}]""")
            .Call("finish", new { summary = "second" })
            .Text("""[{"criterion": "Endpoints return JSON", "met": true, "reason": "all routes use res.json"}]""");

        AgentOutcome outcome = await h.RunAsync(h.Task(criteria: ["Endpoints return JSON"]));

        Assert.True(outcome.Succeeded, outcome.ToString());
        Assert.Equal("second", outcome.Summary);
        Assert.Null(h.Client.Requests[1].Options!.Tools);
        Assert.Contains("Success criterion not met: Endpoints return JSON (GET /health returns text)", h.Client.Requests[2].Messages[^1].Text);
        var verdicts = h.Transcript().Where(l => l.GetProperty("type").GetString() == "verdict").Select(l => l.GetProperty("met").GetBoolean()).ToList();
        Assert.Equal([false, true], verdicts);
        Assert.Equal(2, outcome.Usage!.Turns);
    }
}
