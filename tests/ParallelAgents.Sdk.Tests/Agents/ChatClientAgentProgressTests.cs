using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Agents;

public sealed class ChatClientAgentProgressTests
{
    [Fact]
    public async Task RunAsync_Working_ReportsEveryModelCallToolCallCommandAndFileChange()
    {
        await using var h = AgentHarness.Create();
        h.Options.Prices["fake-model"] = new ModelPrice(1_000_000m, 2_000_000m);
        await h.Workspace.Files.WriteAllTextAsync("old.txt", "old\n", TestContext.Current.CancellationToken);
        h.Client
            .Call("write_file", new { path = "./src/../a.txt", content = "one\n" }, inputTokens: 100, outputTokens: 7)
            .Call("edit_file", new { path = "a.txt", old_text = "one", new_text = "two" })
            .Call("delete_file", new { path = "old.txt" })
            .Call("delete_file", new { path = "never-there.txt" })
            .Call("run_command", new { command = "echo hi" })
            .Call("finish", new { summary = "done" });
        var progress = new ProgressLog();
        var agent = new ChatClientAgent(h.Client, h.Options);

        AgentOutcome outcome = await agent.RunAsync(new AgentContext
        {
            RunId = "run-1",
            Task = h.Task(checks: ["test -f a.txt"]),
            Workspace = h.Workspace,
            Progress = progress,
        }, TestContext.Current.CancellationToken);

        Assert.True(outcome.Succeeded, outcome.ToString());
        AgentProgress[] calls = [.. progress.Of(AgentProgressKind.ModelCall)];
        Assert.Equal(6, calls.Length);
        Assert.Equal((100, 7, 114m), (calls[0].InputTokens, calls[0].OutputTokens, calls[0].Cost));
        Assert.Equal(outcome.Usage!.InputTokens, calls.Sum(c => c.InputTokens));
        Assert.Equal(outcome.Usage.Cost, calls.Sum(c => c.Cost));
        Assert.All(calls, c => Assert.NotNull(c.Duration));

        Assert.Equal<(string?, bool?)>(
            [("write_file", true), ("edit_file", true), ("delete_file", true), ("delete_file", false), ("run_command", true), ("finish", true)],
            [.. progress.Of(AgentProgressKind.ToolCall).Select(t => (t.Name, t.Succeeded))]);
        Assert.All(progress.Of(AgentProgressKind.ToolCall), t => Assert.NotNull(t.Duration));

        // Paths as the workspace names them; the delete that found nothing changed nothing.
        Assert.Equal(["a.txt", "a.txt", "old.txt"], progress.Of(AgentProgressKind.FileChanged).Select(f => f.Path));

        // The model's command and the task's check, each with how it ended and how long it took.
        Assert.Equal<(string?, bool?)>([("echo hi", true), ("test -f a.txt", true)],
            [.. progress.Of(AgentProgressKind.CommandRun).Select(c => (c.Name, c.Succeeded))]);
        Assert.All(progress.Of(AgentProgressKind.CommandRun), c => Assert.NotNull(c.Duration));

        // Reports come as things happen: the file change before the tool call that made it ends.
        int write = progress.Reports.ToList().FindIndex(r => r.Kind == AgentProgressKind.FileChanged);
        int writeTool = progress.Reports.ToList().FindIndex(r => r.Kind == AgentProgressKind.ToolCall);
        Assert.True(write < writeTool);
    }

    [Fact]
    public async Task RunAsync_ToolCallLimitReached_TheRefusedCallIsNotReportedAsAToolCall()
    {
        await using var h = AgentHarness.Create();
        h.Options.MaxToolCalls = 1;
        h.Client.Call("list_files").Call("list_files");
        var progress = new ProgressLog();

        AgentOutcome outcome = await new ChatClientAgent(h.Client, h.Options).RunAsync(
            new AgentContext { RunId = "run-1", Task = h.Task(), Workspace = h.Workspace, Progress = progress },
            TestContext.Current.CancellationToken);

        Assert.Equal(AgentOutcomeStatus.BudgetExceeded, outcome.Status);
        Assert.Single(progress.Of(AgentProgressKind.ToolCall));
        Assert.Equal(outcome.Usage!.ToolCalls, progress.Of(AgentProgressKind.ToolCall).Count());
    }
}
