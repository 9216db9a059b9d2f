using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Agents;

/// <summary>The transcript format and the default system prompt, pinned by approved files.</summary>
public sealed class ChatClientAgentSnapshotTests
{
    [Fact]
    public async Task Transcript_ChecksFailThenPass_MatchesTheApprovedFile()
    {
        await using var h = AgentHarness.Create(taskId: "backend");
        h.Options.TimeProvider = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        h.Options.Prices["fake-model"] = new ModelPrice(1m, 4m);
        h.Client
            .Call("write_file", new { path = "api.js", content = "exports.ok = false;\n" }, inputTokens: 1200, outputTokens: 80)
            .Call("finish", new { summary = "API stub" }, inputTokens: 1300, outputTokens: 20)
            .Call("edit_file", new { path = "api.js", old_text = "false", new_text = "true" }, inputTokens: 1500, outputTokens: 40)
            .Text("The API is done: exports.ok is true.", inputTokens: 1600, outputTokens: 12);

        await h.RunAsync(h.Task(template: "backend", checks: ["grep -q true api.js"], criteria: ["ok is true"], instructions: "Make ok true."));

        string transcript = await File.ReadAllTextAsync(h.TranscriptPath(), TestContext.Current.CancellationToken);
        // The folder and the commands' durations differ from run to run; everything else is pinned.
        string stable = Regex.Replace(transcript.Replace(h.Workspace.RootPath, "<workspace>", StringComparison.Ordinal), "\"duration_ms\":[0-9]+", "\"duration_ms\":0");
        Approved.Verify(stable, "transcript-checks-fail-then-pass", "Agents");
    }
}
