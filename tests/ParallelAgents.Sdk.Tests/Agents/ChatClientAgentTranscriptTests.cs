using System.Text.Json;
using Microsoft.Extensions.AI;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Agents;

public sealed class ChatClientAgentTranscriptTests
{
    [Fact]
    public async Task Transcript_Attempt_JsonLinesOfMessagesToolsUsageChecksAndOutcome()
    {
        await using var h = AgentHarness.Create(taskId: "api");
        h.Client.Call("write_file", new { path = "a.txt", content = "ok" }).Call("finish", new { summary = "wrote a.txt" });

        await h.RunAsync(h.Task(checks: ["test -f a.txt"]), attempt: 2);

        Assert.True(File.Exists(Path.Combine(h.Reports, "api", "attempt-2.jsonl")));
        List<JsonElement> lines = h.Transcript(attempt: 2);
        Assert.Equal(
            ["start", "message", "message", "message", "usage", "tool_result", "message", "usage", "tool_result", "check", "outcome"],
            lines.Select(l => l.GetProperty("type").GetString()));
        Assert.Equal("system", lines[1].GetProperty("role").GetString());
        JsonElement call = lines[3].GetProperty("tool_calls")[0];
        Assert.Equal("write_file", call.GetProperty("name").GetString());
        Assert.Equal("a.txt", call.GetProperty("arguments").GetProperty("path").GetString());
        Assert.StartsWith("Created a.txt", lines[5].GetProperty("result").GetString());
        Assert.True(lines[9].GetProperty("passed").GetBoolean());
        Assert.Equal("Succeeded", lines[10].GetProperty("status").GetString());
        Assert.Equal(2, lines[10].GetProperty("turns").GetInt32());
    }

    [Fact]
    public async Task Transcript_SecondLane_OwnFile()
    {
        await using var h = AgentHarness.Create(taskId: "api");
        h.Client.Text("done");

        await h.RunAsync(lane: 1);

        Assert.True(File.Exists(h.TranscriptPath(1, lane: 1)));
    }

    [Fact]
    public async Task Transcript_SecretInTheEnvironment_NeverWrittenAndNotInCommands()
    {
        string secret = "sk-test-" + Guid.NewGuid().ToString("N");
        string variable = "PA_AGENT_TEST_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant() + "_API_KEY";
        using var environment = new EnvironmentVariable(variable, secret);
        await using var h = AgentHarness.Create();
        h.Options.SecretValues.Add("hunter2-extra-secret");
        h.Client
            .Call("run_command", new { command = $"echo \"[${variable}]\"" })
            .Call("write_file", new { path = "leak.txt", content = $"key={secret} pw=hunter2-extra-secret" })
            .Call("read_file", new { path = "leak.txt" })
            .Text($"I saw the key {secret}.");

        AgentOutcome outcome = await h.RunAsync(h.Task(instructions: "Use the key."));

        Assert.Equal("[]\n", h.Client.ToolResult(1)[(h.Client.ToolResult(1).IndexOf('\n') + 1)..]);
        Assert.Equal("key=[REDACTED] pw=[REDACTED]", h.Client.ToolResult(3));
        string transcript = await File.ReadAllTextAsync(h.TranscriptPath(), TestContext.Current.CancellationToken);
        Assert.DoesNotContain(secret, transcript);
        Assert.DoesNotContain("hunter2-extra-secret", transcript);
        Assert.Contains("[REDACTED]", transcript);
        Assert.All(transcript.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => JsonDocument.Parse(line).Dispose());
        Assert.True(outcome.Succeeded);
        Assert.Equal("I saw the key [REDACTED].", outcome.Summary);
    }

    [Fact]
    public async Task Transcript_KeyLookingStringsNotConfigured_AreRedactedToo()
    {
        const string GitHubKey = "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R";
        const string AwsKey = "AKIAIOSFODNN7EXAMPLE";
        await using var h = AgentHarness.Create();
        h.Client
            .Call("write_file", new { path = "deploy.sh", content = $"git push https://{GitHubKey}@github.com/org/repo\nexport AWS_ACCESS_KEY_ID={AwsKey}\n" })
            .Call("read_file", new { path = "deploy.sh" })
            .Text($"Pushed with {GitHubKey}; max_tokens: 4096 kept.");

        AgentOutcome outcome = await h.RunAsync();

        string transcript = await File.ReadAllTextAsync(h.TranscriptPath(), TestContext.Current.CancellationToken);
        Assert.DoesNotContain(GitHubKey, transcript, StringComparison.Ordinal);
        Assert.DoesNotContain(AwsKey, transcript, StringComparison.Ordinal);
        Assert.Contains("max_tokens: 4096 kept", transcript, StringComparison.Ordinal);
        Assert.Equal("Pushed with [REDACTED]; max_tokens: 4096 kept.", outcome.Summary);
        // The model reads the file as it is, so that it cannot write the mask back over it.
        Assert.Contains(GitHubKey, h.Client.ToolResult(2), StringComparison.Ordinal);
        // The file itself is the agent's work and is left as written; only what is logged and handed back is redacted.
        Assert.Contains(GitHubKey, File.ReadAllText(Path.Combine(h.Workspace.RootPath, "deploy.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transcript_DirectoryNull_NoFileWritten()
    {
        await using var h = AgentHarness.Create();
        h.Options.TranscriptDirectory = null;
        h.Client.Text("done");

        AgentOutcome outcome = await h.RunAsync();

        Assert.True(outcome.Succeeded);
        Assert.False(Directory.Exists(h.Reports));
    }

    [Fact]
    public async Task SystemPrompt_Attempt_HoldsInstructionsCriteriaDependenciesDiscoveriesConflictsAndPreviousError()
    {
        await using var h = AgentHarness.Create(taskId: "frontend");
        CancellationToken ct = TestContext.Current.CancellationToken;
        await h.Memory.ReportDiscoveryAsync("api-routes", new[] { "GET /tasks" }, "backend", ct);
        await h.Memory.ReportConflictAsync("task-form", new ConflictReport("both edit TaskForm.jsx", ["src/TaskForm.jsx"], ["frontend", "tests"], Predicted: true), "coordinator", ct);
        await h.Memory.ReportConflictAsync("schema", new ConflictReport("other tasks only", ["db.sql"], ["database", "backend"]), "coordinator", ct);
        h.Client.Text("done");
        TaskResult dependency = new() { TaskId = "backend", State = TaskState.Succeeded, Summary = "REST API at /tasks with CRUD." };

        await h.RunAsync(
            h.Task(checks: ["test -d ."], criteria: ["Tasks can be added", "Works offline"], instructions: "Build the task list page."),
            dependencies: [dependency],
            previousError: "npm test failed: 2 tests");

        string prompt = h.SystemPrompt;
        Assert.Contains("# Your task: frontend\nBuild the task list page.", prompt);
        Assert.Contains("- Tasks can be added\n- Works offline", prompt);
        Assert.Contains("- test -d .", prompt);
        Assert.Contains("- backend: REST API at /tasks with CRUD.", prompt);
        Assert.Contains("- api-routes (from backend): [\"GET /tasks\"]", prompt);
        Assert.Contains("- task-form (predicted): both edit TaskForm.jsx Files: src/TaskForm.jsx. Tasks: frontend, tests.", prompt);
        Assert.DoesNotContain("other tasks only", prompt);
        Assert.Contains("It failed: npm test failed: 2 tests", prompt);
        Assert.DoesNotContain("{", prompt.Replace("{}", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SystemPrompt_CustomTemplate_PlaceholdersFilledOtherBracesKept()
    {
        await using var h = AgentHarness.Create(taskId: "db");
        h.Options.SystemPromptTemplate = "Task {task_id} (attempt {attempt}, template {template}): {instructions} Reply as {\"ok\": true}. {unknown}";
        h.Client.Text("done");

        await h.RunAsync(h.Task(template: "database", instructions: "Make {the} schema."), attempt: 3);

        Assert.Equal("Task db (attempt 3, template database): Make {the} schema. Reply as {\"ok\": true}. {unknown}", h.SystemPrompt);
        Assert.Equal(ChatRole.User, h.Client.Requests[0].Messages[1].Role);
    }

    [Fact]
    public async Task ChatOptions_Passthrough_ModelAndTemperatureSentWithTheTools()
    {
        await using var h = AgentHarness.Create();
        h.Options.ChatOptions = new ChatOptions { ModelId = "gpt-test", Temperature = 0.2f };
        h.Client.Text("done");

        await h.RunAsync();

        ChatOptions sent = h.Client.Requests[0].Options!;
        Assert.Equal("gpt-test", sent.ModelId);
        Assert.Equal(0.2f, sent.Temperature);
        Assert.Contains(sent.Tools!, t => t.Name == "edit_file");
        Assert.Null(h.Options.ChatOptions.Tools);
    }
}
