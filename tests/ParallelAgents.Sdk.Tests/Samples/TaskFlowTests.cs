using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ParallelAgents.Sdk.Tests.TestSupport;
using TaskFlow;

namespace ParallelAgents.Sdk.Tests.Samples;

/// <summary>The TaskFlow sample end to end, offline, in-process, on a fresh temporary folder: the four agents' replayed
/// conversations drive the real engine (worktrees, tools, checks, merges, the rerun-agent resolver, the shared memory
/// file), and the result is checked with git, the reports and Node's own test runner on the merged main.</summary>
public sealed class TaskFlowTests
{
    private static readonly string[] TaskIds = ["database-schema", "backend-api", "frontend-components", "test-suite"];

    [Fact]
    public async Task RunAsync_Offline_FourAgentsBuildTaskFlowOnMainWithTheConflictResolved()
    {
        using var folder = new TempFolder();
        string repo = folder.Combine("taskflow");
        var output = new StringWriter();

        int exit = await TaskFlowApp.RunAsync(["--offline", "--repo", repo], TextWriter.Synchronized(output), TestContext.Current.CancellationToken);

        string log = output.ToString();
        Assert.True(exit == 0, log);
        Assert.Contains("REPLAYS PREPARED ANSWERS", log, StringComparison.Ordinal);

        // The run report: every task succeeded, with the files, tool calls and tokens of its agent.
        JsonElement run = JsonDocument.Parse(File.ReadAllText(Assert.Single(Directory.GetFiles(Path.Combine(repo, "reports"), "run_*.json")))).RootElement;
        Assert.Equal(TaskIds.Order(), run.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("task_id").GetString()!).Order());
        Assert.All(run.GetProperty("tasks").EnumerateArray(), t =>
        {
            Assert.Equal("succeeded", t.GetProperty("state").GetString());
            Assert.NotEqual(0, t.GetProperty("files_changed").GetArrayLength());
            Assert.True(t.GetProperty("tool_calls").GetInt32() > 0);
            Assert.True(t.GetProperty("input_tokens").GetInt64() > 0);
        });

        // Four agent branches, each merged into main: directly, or through its re-run after the conflict.
        List<JsonElement> reports = [.. Directory.GetFiles(Path.Combine(repo, "reports"), "merge_*.json").Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement)];
        Assert.Equal(TaskIds.Order(), reports.Select(r => r.GetProperty("task_id").GetString()!).Order());
        foreach (string id in TaskIds)
        {
            Assert.True(GitRepository.Run(repo, ["rev-parse", "--verify", "-q", "refs/heads/agent/" + id]).ExitCode == 0, $"branch agent/{id} exists");
            JsonElement report = reports.Single(r => r.GetProperty("task_id").GetString() == id);
            string merged = report.GetProperty("merged_commit").GetString()!;
            Assert.True(GitRepository.Run(repo, ["merge-base", "--is-ancestor", merged, "main"]).ExitCode == 0, $"{id}'s merge is on main");
        }

        // The conflict: database-schema and frontend-components both add a README row at the same place; whichever
        // merged second conflicted and was redone on the new main by the rerun-agent resolver.
        JsonElement resolved = Assert.Single(reports, r => r.GetProperty("status").GetString() == "resolved");
        string redone = resolved.GetProperty("task_id").GetString()!;
        Assert.Contains(redone, new[] { "database-schema", "frontend-components" });
        Assert.Equal("rerun-agent", resolved.GetProperty("resolver").GetString());
        JsonElement conflict = Assert.Single(resolved.GetProperty("conflicts").EnumerateArray());
        Assert.Equal("README.md", conflict.GetProperty("path").GetString());
        Assert.Equal(redone == "database-schema" ? "frontend-components" : "database-schema", conflict.GetProperty("other_task_id").GetString());
        Assert.All(reports.Where(r => r.GetProperty("task_id").GetString() != redone), r => Assert.Equal("merged", r.GetProperty("status").GetString()));
        string summary = File.ReadAllText(Assert.Single(Directory.GetFiles(Path.Combine(repo, "reports"), "merge_summary_*.txt")));
        Assert.Contains("1 resolved", summary, StringComparison.Ordinal);
        Assert.Contains("rerun-agent", summary, StringComparison.Ordinal);
        Assert.Contains("CONFLICT in README.md", log, StringComparison.Ordinal);

        // main holds the four parts, and both rows of the conflicting README edits.
        string tree = GitRepository.GitIn(repo, "ls-tree", "-r", "--name-only", "main");
        foreach (string file in new[]
        {
            "prisma/schema.prisma", "src/server.js", "src/store.js", "src/components/TaskList.tsx", "src/components/TaskDetail.tsx",
            "src/components/TeamView.tsx", "test/tasks.test.js", "test/users.test.js",
        })
        {
            Assert.Contains(file, tree.Split('\n'));
        }

        Assert.Contains("enum Status {\n  TODO\n  IN_PROGRESS\n  DONE\n}", GitRepository.GitIn(repo, "show", "main:prisma/schema.prisma"), StringComparison.Ordinal);
        string readme = GitRepository.GitIn(repo, "show", "main:README.md");
        Assert.Contains("| `prisma/schema.prisma` |", readme, StringComparison.Ordinal);
        Assert.Contains("| `src/components/` |", readme, StringComparison.Ordinal);
        Assert.Contains("\"start\": \"node src/main.js\"", GitRepository.GitIn(repo, "show", "main:package.json"), StringComparison.Ordinal);

        // The test agent's fix is what reached main: its first run failed on a wrong status code, then passed.
        Assert.Contains("assert.equal(created.status, 201);", GitRepository.GitIn(repo, "show", "main:test/tasks.test.js"), StringComparison.Ordinal);

        // The working tree follows main, and Node's test runner passes on it.
        Assert.Equal("", GitRepository.GitIn(repo, "status", "--porcelain"));
        (int nodeExit, string nodeOutput) = RunNode(repo, "--test");
        Assert.True(nodeExit == 0, nodeOutput);
        Assert.Contains("# fail 0", nodeOutput, StringComparison.Ordinal);

        // The agents shared their discoveries through the memory file, and read each other's.
        using JsonDocument memory = JsonDocument.Parse(File.ReadAllText(Path.Combine(repo, "shared-memory", "agent_memory.json")));
        JsonElement entries = memory.RootElement.GetProperty("entries");
        foreach (string key in new[] { "discoveries/database-schema", "discoveries/api-routes", "discoveries/frontend-components", "discoveries/test-suite" })
        {
            Assert.True(entries.TryGetProperty(key, out _), $"{key} is in the shared memory");
        }

        Assert.Equal("Task", entries.GetProperty("discoveries/database-schema").GetProperty("value").GetProperty("tables")[1].GetString());
        Assert.Contains("memory_get       discoveries/database-schema", log, StringComparison.Ordinal);
        Assert.Contains("memory_get       discoveries/api-routes", log, StringComparison.Ordinal);

        // Transcripts for every task; no worktree left behind; the repository is sound.
        Assert.All(TaskIds, id => Assert.NotEmpty(Directory.GetFiles(Path.Combine(repo, "reports", "agents", id), "*.jsonl")));
        string worktrees = GitRepository.GitIn(repo, "worktree", "list", "--porcelain");
        Assert.Single(worktrees.Split('\n'), l => l.StartsWith("worktree ", StringComparison.Ordinal));
        (int fsckExit, string fsck) = GitRepository.Run(repo, ["fsck", "--strict", "--no-progress"]);
        Assert.True(fsckExit == 0 && !fsck.Contains("error", StringComparison.OrdinalIgnoreCase), fsck);
    }

    [Theory]
    [InlineData("database-schema", "frontend-components")]
    [InlineData("frontend-components", "database-schema")]
    public async Task RunOnceAsync_EitherMergeOrder_TheSecondIsReRunFromItsCassetteAndAllReachMain(string first, string second)
    {
        using var folder = new TempFolder();
        string repo = folder.Combine("taskflow");
        var output = new StringWriter();
        var firstMerged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new RunLog(TextWriter.Synchronized(output));

        // The replayed answers are the same in either order; only the test holds the second task's finish until the
        // first has merged, so that the conflict falls on it and its re-run cassette plays.
        var router = new ConversationRouter(key =>
        {
            IChatClient replay = TaskFlowApp.OpenReplay(null, key);
            return key == new ConversationKey(second, IsRerun: false) ? new FinishAfter(replay, firstMerged.Task) : replay;
        }, "replay", log.Answered);
        TaskFlowApp.RunOutcome outcome = await TaskFlowApp.RunOnceAsync(repo, router, log, replay: true, e =>
        {
            if (e.Kind == AgentEventKind.BranchMerged && e.TaskId == first)
            {
                firstMerged.TrySetResult();
            }
        }, TestContext.Current.CancellationToken);

        Assert.True(outcome.Result.Succeeded, output.ToString());
        MergeResult resolved = Assert.Single(outcome.Result.Merges, m => m.Status == MergeStatus.Resolved);
        Assert.Equal(second, resolved.TaskId);
        Assert.Equal("rerun-agent", resolved.Resolver);
        Assert.Equal(first, Assert.Single(resolved.Conflicts).OtherTaskId);
        Assert.Contains(new ConversationKey(second, IsRerun: true), router.Conversations.Keys);
        Assert.All(router.Conversations.Values.OfType<ReplayChatClient>(), r => r.VerifyAllPlayed());
        (int nodeExit, string nodeOutput) = RunNode(repo, "--test");
        Assert.True(nodeExit == 0, nodeOutput);
    }

    [Fact]
    public async Task RunAsync_LiveRecordAgainstLoopbackServer_UsesTheOpenAIClientAndTheRecordingReplays()
    {
        using var folder = new TempFolder();
        await using OpenAICompatibleServer server = await OpenAICompatibleServer.StartAsync();

        // Four agents ask in an order no test controls, so every one gets the same answer: write the files every task's
        // checks look for (the schema, a server with its test, the three components), then finish.
        OpenAICompatibleServer.ToolCall Write(string id, string path, string content) =>
            new(id, "write_file", JsonSerializer.Serialize(new { path, content }));
        OpenAICompatibleServer.Reply answer = OpenAICompatibleServer.Reply.Calls(
        [
            Write("call_schema", "prisma/schema.prisma", "model User {\n  id String @id\n}\n\nenum Status {\n  TODO\n  IN_PROGRESS\n  DONE\n}\n"),
            Write("call_server", "src/server.js", "import http from 'node:http';\nexport function createServer() {\n  return http.createServer((req, res) => res.end('{}'));\n}\n"),
            Write("call_test", "test/server.test.js", "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { createServer } from '../src/server.js';\ntest('creates a server', () => assert.equal(typeof createServer().listen, 'function'));\n"),
            Write("call_list", "src/components/TaskList.tsx", "export const TaskList = () => null;\n"),
            Write("call_detail", "src/components/TaskDetail.tsx", "export const TaskDetail = () => null;\n"),
            Write("call_team", "src/components/TeamView.tsx", "export const TeamView = () => null;\n"),
            new("call_finish", "finish", JsonSerializer.Serialize(new { summary = "Wrote the files." })),
        ], promptTokens: 1_000, completionTokens: 200);
        server.Enqueue(answer, answer, answer, answer);
        const string apiKey = "sk-taskflow-loopback-key";
        using var key = new EnvironmentVariable("OPENAI_API_KEY", apiKey);
        using var baseUrl = new EnvironmentVariable("OPENAI_BASE_URL", server.BaseUrl);
        using var model = new EnvironmentVariable("PARALLELAGENTS_MODEL", "loopback-model");
        string cassettes = folder.Combine("cassettes");
        var live = new StringWriter();

        int exit = await TaskFlowApp.RunAsync(["--record", "--cassettes", cassettes, "--repo", folder.Combine("live")], TextWriter.Synchronized(live), TestContext.Current.CancellationToken);

        Assert.True(exit == 0, live.ToString());
        Assert.Contains("Model: loopback-model at " + server.BaseUrl, live.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, server.RemainingCount);
        Assert.Equal(4, server.Requests.Count);
        Assert.All(server.Requests, r =>
        {
            Assert.Equal("Bearer " + apiKey, r.Authorization);
            Assert.Equal("loopback-model", r.Json["model"]!.GetValue<string>());
        });
        string[] recorded = [.. Directory.GetFiles(cassettes, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.Equal(TaskIds.Select(id => id + ".json").Order(StringComparer.Ordinal), recorded);
        Assert.All(Directory.GetFiles(cassettes), f => Assert.DoesNotContain(apiKey, File.ReadAllText(f), StringComparison.Ordinal));

        // The recorded conversations replay offline, without the server.
        var replay = new StringWriter();
        int replayed = await TaskFlowApp.RunAsync(["--offline", "--cassettes", cassettes, "--repo", folder.Combine("replay")], TextWriter.Synchronized(replay), TestContext.Current.CancellationToken);

        Assert.True(replayed == 0, replay.ToString());
        Assert.Equal(4, server.Requests.Count);
        Assert.Contains("REPLAYS PREPARED ANSWERS", replay.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_LiveWithoutApiKey_FailsNamingTheVariables()
    {
        using var key = new EnvironmentVariable("OPENAI_API_KEY", null);
        var output = new StringWriter();

        int exit = await TaskFlowApp.RunAsync(["--live"], output, TestContext.Current.CancellationToken);

        Assert.Equal(2, exit);
        Assert.Contains("OPENAI_API_KEY", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("OPENAI_BASE_URL", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("PARALLELAGENTS_MODEL", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_RepositoryFolderNotEmpty_RefusesAndLeavesItAlone()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.Combine("mine.txt"), "keep me\n");
        var output = new StringWriter();

        int exit = await TaskFlowApp.RunAsync(["--offline", "--repo", folder.Path], output, TestContext.Current.CancellationToken);

        Assert.Equal(2, exit);
        Assert.Contains("not empty", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(["mine.txt"], Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName));
    }

    /// <summary>Holds a conversation's finish call until <paramref name="gate"/> completes.</summary>
    private sealed class FinishAfter(IChatClient inner, Task gate) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            ChatResponse response = await base.GetResponseAsync(messages, options, cancellationToken);
            if (response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Any(c => c.Name == "finish"))
            {
                // A guard against a hang if the other task never merges, not a timing assumption.
                await gate.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            }

            return response;
        }
    }

    private static (int ExitCode, string Output) RunNode(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}
