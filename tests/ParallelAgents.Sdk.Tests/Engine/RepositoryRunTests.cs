using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Engine;

/// <summary>Whole runs on a real git repository: worktrees per task, commits, merges in dependency order, conflicts
/// resolved by re-running the agent, verify commands, setup commands, forecasting and cleanup.</summary>
public class RepositoryRunTests
{
    [Fact]
    public async Task RunAsync_DependentTasks_EachSeesItsDependenciesWorkAndMainGetsAll()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: schema
                instructions: write schema.txt
              - id: api
                dependencies: [schema]
                instructions: write api.txt from the schema
              - id: ui
                instructions: write ui.txt
            """);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                IAgentWorkspace workspace = context.Workspace!;
                seen[context.Task.Id] = workspace.Files.FileExists("schema.txt");
                await workspace.Files.WriteAllTextAsync($"{context.Task.Id}.txt", $"{context.Task.Id}\n", ct);
                return AgentOutcome.Success($"wrote {context.Task.Id}.txt");
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        Assert.True(seen["api"], "api starts from main with schema merged");
        Assert.Equal(3, result.Merges.Count);
        Assert.All(result.Merges, m => Assert.Equal(MergeStatus.Merged, m.Status));
        Assert.Equal("schema", result.Merges.Select(m => m.TaskId).First(id => id is "schema" or "api"));
        string tree = repo.Git("ls-tree", "--name-only", "main");
        Assert.Contains("schema.txt", tree, StringComparison.Ordinal);
        Assert.Contains("api.txt", tree, StringComparison.Ordinal);
        Assert.Contains("ui.txt", tree, StringComparison.Ordinal);
        Assert.True(repo.BranchExists("agent/api"));
        Assert.Single(repo.Worktrees());
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_FailingAgent_CommitsItsWorkOnTheBranchAndSkipsDependents()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: a
                max_attempts: 1
                instructions: x
              - id: b
                dependencies: [a]
                instructions: y
            """);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("half.txt", "half done\n", ct);
                throw new InvalidOperationException("the model gave up");
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.Equal(TaskState.Failed, result["a"].State);
        Assert.Equal(TaskState.Skipped, result["b"].State);
        Assert.Empty(result.Merges);
        Assert.Equal("half done\n", repo.Git("show", "agent/a:half.txt"));
        Assert.Contains("work in progress", repo.Git("log", "-1", "--format=%s", "agent/a"), StringComparison.Ordinal);
        Assert.DoesNotContain("half.txt", repo.Git("ls-tree", "--name-only", "main"), StringComparison.Ordinal);
        Assert.Single(repo.Worktrees());
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_TwoTasksEditTheSameLine_SecondIsRedoneOnTheNewMainAndBothReachMain()
    {
        using var repo = new GitRepository(("shared.txt", "line 1\nTITLE\nline 3\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: first
                priority: high
                instructions: set the title to FIRST
              - id: second
                priority: low
                instructions: set the title to SECOND
            """);
        var instructionsSeen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithMaxParallelAgents(2)
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                instructionsSeen.Enqueue(context.Task.Instructions);
                WorkspaceFiles files = context.Workspace!.Files;
                string text = await files.ReadAllTextAsync("shared.txt", ct);
                string title = context.Task.Id.ToUpperInvariant();
                if (context.Task.Instructions.Contains("conflict", StringComparison.OrdinalIgnoreCase))
                {
                    // Redone on the new main: keep the other side's title and add this one.
                    string[] lines = text.Split('\n');
                    lines[1] += "+" + title;
                    text = string.Join('\n', lines);
                }
                else
                {
                    text = text.Replace("TITLE", title, StringComparison.Ordinal);
                }

                await files.WriteAllTextAsync("shared.txt", text, ct);
                return AgentOutcome.Success();
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, string.Join("; ", result.Tasks.Select(t => t.ToString())));
        // Both agents run at once, so either may merge first; the other conflicts and is redone on top of it.
        Assert.Equal(2, result.Merges.Count);
        MergeResult winner = result.Merges[0];
        MergeResult redone = result.Merges[1];
        Assert.Equal(MergeStatus.Merged, winner.Status);
        Assert.Equal(MergeStatus.Resolved, redone.Status);
        Assert.Equal("rerun-agent", redone.Resolver);
        Assert.Contains(redone.Conflicts, c => c.Path == "shared.txt");
        Assert.Equal($"line 1\n{winner.TaskId.ToUpperInvariant()}+{redone.TaskId.ToUpperInvariant()}\nline 3\n", repo.Git("show", "main:shared.txt"));
        Assert.Contains(instructionsSeen, i => i.Contains("shared.txt", StringComparison.Ordinal) && i.Contains("conflict", StringComparison.OrdinalIgnoreCase));
        Assert.True(repo.BranchExists("agent/" + redone.TaskId), "the conflicting branch is kept");
        Assert.Single(repo.Worktrees());
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_VerifyFails_MainKeepsItsCommitAndTheTaskFailsNamingTheBranch()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        string before = repo.Head("main");
        TaskPlan plan = TaskPlan.Parse("""
            verify:
              - test ! -f broken.txt
            tasks:
              - id: breaker
                instructions: break the build
            """);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory("reports-out")
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("broken.txt", "oops\n", ct);
                return AgentOutcome.Success();
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.Equal(TaskState.Failed, result["breaker"].State);
        Assert.Contains("agent/breaker", result["breaker"].Error, StringComparison.Ordinal);
        Assert.Equal(MergeStatus.VerifyFailed, Assert.Single(result.Merges).Status);
        Assert.Equal(before, repo.Head("main"));
        Assert.NotNull(result.MergeSummaryPath);
        Assert.True(File.Exists(result.MergeSummaryPath));
        Assert.Contains("breaker", File.ReadAllText(result.MergeSummaryPath!), StringComparison.Ordinal);
        Assert.Single(repo.Worktrees());
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_SetupCommandFails_TaskFailsWithItsOutputAndTheAgentNeverRuns()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            setup:
              - echo installing && echo 'no network' >&2 && exit 3
            tasks:
              - id: a
                max_attempts: 1
                instructions: x
            """);
        int agentRuns = 0;
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent((context, ct) =>
            {
                Interlocked.Increment(ref agentRuns);
                return ValueTask.FromResult(AgentOutcome.Success());
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.Equal(TaskState.Failed, result["a"].State);
        Assert.Contains("setup command", result["a"].Error, StringComparison.Ordinal);
        Assert.Contains("no network", result["a"].Error, StringComparison.Ordinal);
        Assert.Equal(0, agentRuns);
        Assert.Single(repo.Worktrees());
    }

    [Fact]
    public async Task RunAsync_SetupCommandPasses_AgentSeesWhatItMade()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            setup: [mkdir -p deps && echo ready > deps/marker]
            tasks:
              - id: a
                instructions: x
            """);
        bool sawMarker = false;
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation(o => o.CopyUntrackedFiles.Add(".env"))
            .WithReportsDirectory(null)
            .UseAgent((context, ct) =>
            {
                sawMarker = context.Workspace!.Files.FileExists("deps/marker");
                return ValueTask.FromResult(AgentOutcome.Success());
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        Assert.True(sawMarker);
    }

    [Fact]
    public async Task RunAsync_DirtyUserWorkingTree_IsLeftExactlyAsItWasWhileMainAdvances()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        repo.Write("README.md", "# my local edit, not committed\n");
        repo.Write("notes.txt", "untracked notes\n");
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: a
                instructions: x
            """);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("a.txt", "a\n", ct);
                return AgentOutcome.Success();
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        MergeResult merge = Assert.Single(result.Merges);
        Assert.False(merge.WorkingTreeUpdated);
        Assert.Equal("# my local edit, not committed\n", File.ReadAllText(Path.Combine(repo.Path, "README.md")));
        Assert.Equal("untracked notes\n", File.ReadAllText(Path.Combine(repo.Path, "notes.txt")));
        Assert.Contains("a.txt", repo.Git("ls-tree", "--name-only", "main"), StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_TwoRunningTasksEditTheSameLines_ConflictIsPredictedBeforeAnyMerge()
    {
        using var repo = new GitRepository(("shared.txt", "a\nb\nc\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: left
                instructions: x
              - id: right
                instructions: y
            """);
        var memory = new InMemorySharedMemory();
        // Both agents commit, then wait until the other has committed too, so both branches are live at once.
        using var bothCommitted = new CountdownEvent(2);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .UseSharedMemory(memory)
            .UseConflictResolver(new ReportOnlyResolver())
            .WithMaxParallelAgents(2)
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("shared.txt", $"a\n{context.Task.Id}\nc\n", ct);
                await context.Workspace.CommitAsync($"{context.Task.Id} edits b", ct);
                bothCommitted.Signal();
                await Task.Run(() => bothCommitted.Wait(ct), ct);
                return AgentOutcome.Success();
            })
            .Build();
        var events = new List<AgentEvent>();
        IAsyncEnumerable<AgentEvent> stream = engine.WatchAsync(TestContext.Current.CancellationToken);
        Task watcher = Task.Run(async () =>
        {
            await foreach (AgentEvent e in stream)
            {
                events.Add(e);
                if (e.Kind == AgentEventKind.RunCompleted)
                {
                    break;
                }
            }
        }, TestContext.Current.CancellationToken);

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);
        await watcher;

        AgentEvent predicted = Assert.Single(events, e => e.Kind == AgentEventKind.ConflictPredicted && e.Forecast!.OtherTaskId is not null);
        Assert.Equal("shared.txt", Assert.Single(predicted.Forecast!.Conflicts).Path);
        int predictedAt = events.IndexOf(predicted);
        int firstMerge = events.FindIndex(e => e.Kind is AgentEventKind.BranchMerged or AgentEventKind.MergeFailed);
        Assert.True(predictedAt < firstMerge, "the conflict is predicted before any merge");
        Assert.Single(result.Merges, m => m.Status == MergeStatus.Conflict);
        Assert.Single(result.Tasks, t => t.State == TaskState.Failed);
    }

    [Fact]
    public async Task RunAsync_UseChatClient_TheModelsToolCallsLandOnMainWithUsageAndATranscript()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: hello
                instructions: write hello.txt
            """);
        var client = new FakeChatClient()
            .Call("write_file", new { path = "hello.txt", content = "hello\n" }, inputTokens: 100, outputTokens: 20)
            .Text("wrote hello.txt", inputTokens: 150, outputTokens: 10);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .UseChatClient(client)
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("hello\n", repo.Git("show", "main:hello.txt"));
        AgentUsage usage = Assert.Single(result["hello"].Attempts).Usage!;
        Assert.Equal(250, usage.InputTokens);
        Assert.Equal(30, usage.OutputTokens);
        string transcripts = Path.Combine(repo.Path, "reports", "agents", "hello");
        Assert.Single(Directory.GetFiles(transcripts, "*.jsonl"));
        Assert.Single(Directory.GetFiles(Path.Combine(repo.Path, "reports"), "merge_hello_*.json"));
        Assert.Single(repo.Worktrees());
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_TwoAgentsOnOneTask_OnlyTheFirstToSucceedIsMergedAndTheOtherIsCancelled()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: race
                agent_count: 2
                instructions: x
            """);
        // The slow lane 0 waits until the engine stops it, which it does once lane 1 has won.
        await using AgentEngine engine = RaceEngine(repo, waitingLane: 0);

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        MergeResult merge = Assert.Single(result.Merges);
        Assert.Equal("agent/race+2", merge.Branch);
        string tree = repo.Git("ls-tree", "--name-only", "main");
        Assert.Contains("lane1.txt", tree, StringComparison.Ordinal);
        Assert.DoesNotContain("lane0.txt", tree, StringComparison.Ordinal);
        Assert.Contains(result["race"].Attempts, a => a.Lane == 0 && a.Status == AttemptStatus.Cancelled);
        Assert.Equal("x\n", repo.Git("show", "agent/race+1:lane0.txt"));
        Assert.Single(repo.Worktrees());
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_TwoAgentsOnOneTaskAndTheWinnersMergeFails_TaskFailsNotCancelled()
    {
        // The winner stops the other lane before it merges; when its merge then fails, the task failed, whichever lane
        // ends last (the stopped one ends as cancelled, after the winner here).
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            verify:
              - test ! -e lane0.txt
            tasks:
              - id: race
                agent_count: 2
                instructions: x
              - id: after
                dependencies: [race]
                instructions: y
            """);
        // Lane 1 is stopped by lane 0's success; it ends after lane 0's merge has failed.
        await using AgentEngine engine = RaceEngine(repo, waitingLane: 1);

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.Equal(TaskState.Failed, result["race"].State);
        Assert.Contains(result["race"].Attempts, a => a.Lane == 1 && a.Status == AttemptStatus.Cancelled);
        Assert.Contains(result["race"].Attempts, a => a.Lane == 0 && a.Status == AttemptStatus.Failed);
        Assert.Equal(TaskState.Skipped, result["after"].State);
        Assert.Equal("dependency 'race' failed", result["after"].Error);
        Assert.DoesNotContain("lane0.txt", repo.Git("ls-tree", "--name-only", "main"), StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    /// <summary>An engine on <paramref name="repo"/> whose agent writes <c>lane{n}.txt</c> and succeeds, except that
    /// <paramref name="waitingLane"/> then waits until the engine stops it. The other lane succeeds only once the waiting
    /// one has written its file: without that, it could win before the waiting lane wrote anything (seen once in 20
    /// runs of the suite, the stopped lane's branch without its file).</summary>
    private static AgentEngine RaceEngine(GitRepository repo, int waitingLane)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithMaxParallelAgents(2)
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync($"lane{context.Lane}.txt", "x\n", ct);
                if (context.Lane == waitingLane)
                {
                    written.TrySetResult();
                    await Task.Delay(Timeout.Infinite, ct);
                }
                else
                {
                    await written.Task.WaitAsync(ct);
                }

                return AgentOutcome.Success($"lane {context.Lane}");
            })
            .Build();
    }
}
