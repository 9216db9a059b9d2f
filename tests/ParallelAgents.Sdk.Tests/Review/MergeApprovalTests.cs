using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Review;

/// <summary>Whole runs on real git repositories with a reviewer between each task's work and its merge.</summary>
public class MergeApprovalTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_Approved_MergesAndShowsTheReviewerWhatGitShows()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: api
                instructions: write api.txt
                checks: ["test -f api.txt", "grep -q v1 api.txt"]
            """);
        var reviews = new ConcurrentQueue<(MergeReview Review, string GitDiff)>();
        string reports = Path.Combine(repo.Parent, "reports");
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(reports)
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("api.txt", "v1\n", ct);
                await context.Workspace.Files.WriteAllTextAsync("README.md", "# demo\n\nwith an api\n", ct);
                return AgentOutcome.Success("wrote the api");
            })
            .UseMergeApproval((review, _) =>
            {
                // Read while the merge waits: main has not moved yet.
                reviews.Enqueue((review, repo.Git("diff", "main...agent/api")));
                return ValueTask.FromResult(ReviewDecision.Approve("looks right"));
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.True(result.Succeeded, result.ToString());
        (MergeReview review, string gitDiff) = Assert.Single(reviews);
        Assert.Equal("api", review.Task.Id);
        Assert.Equal("agent/api", review.Branch);
        Assert.Equal(1, review.Round);
        Assert.Equal(repo.Head("agent/api"), review.HeadCommit);
        Assert.Equal(DiffBody(gitDiff), DiffBody(review.Diff));
        Assert.Equal(["README.md", "api.txt"], review.Files.Select(f => f.Path));
        Assert.Equal([("test -f api.txt", true), ("grep -q v1 api.txt", true)], review.Checks.Select(c => (c.Command, c.Succeeded)));
        Assert.True(review.ChecksPassed);
        Assert.Equal("wrote the api", review.Summary);
        Assert.Empty(review.SuspectedSecrets);
        MergeResult merge = Assert.Single(result.Merges);
        Assert.Equal(MergeStatus.Merged, merge.Status);
        Assert.Equal(ReviewDecisionKind.Approved, merge.Review!.Kind);
        Assert.Equal(review.HeadCommit, merge.TheirsCommit);
        Assert.Equal("v1\n", repo.Git("show", "main:api.txt"));
        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(merge.ReportPath!));
        Assert.Equal("approved", report.RootElement.GetProperty("review").GetProperty("decision").GetString());
        Assert.Equal("looks right", report.RootElement.GetProperty("review").GetProperty("reason").GetString());
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_Rejected_BranchStaysTaskRejectedDependentsSkipped()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        string mainBefore = repo.Head("main");
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: a
                instructions: write a.txt
              - id: b
                dependencies: [a]
                instructions: write b.txt
              - id: c
                dependencies: [b]
                instructions: write c.txt
            """);
        int agentRuns = 0;
        string reports = Path.Combine(repo.Parent, "reports");
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(reports)
            .UseAgent(async (context, ct) =>
            {
                Interlocked.Increment(ref agentRuns);
                await context.Workspace!.Files.WriteAllTextAsync($"{context.Task.Id}.txt", "debug endpoint\n", ct);
                return AgentOutcome.Success();
            })
            .UseMergeApproval((review, _) => ValueTask.FromResult(ReviewDecision.Reject("adds a debug endpoint") with { Reviewer = "alice" }))
            .Build();

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Equal(TaskState.Rejected, result["a"].State);
        Assert.Contains("rejected in review: adds a debug endpoint", result["a"].Error, StringComparison.Ordinal);
        Assert.Equal(TaskState.Skipped, result["b"].State);
        Assert.Equal("dependency 'a' was rejected in review", result["b"].Error);
        Assert.Equal("dependency 'b' was skipped", result["c"].Error);
        Assert.Equal(1, agentRuns);
        Assert.Equal(mainBefore, repo.Head("main"));
        Assert.Equal("debug endpoint\n", repo.Git("show", "agent/a:a.txt"));
        MergeResult merge = Assert.Single(result.Merges);
        Assert.Equal(MergeStatus.Rejected, merge.Status);
        Assert.Equal("alice", merge.Review!.Reviewer);
        Assert.Equal(repo.Head("agent/a"), merge.TheirsCommit);
        Assert.Null(merge.MergedCommit);
        Assert.Equal(["a.txt"], merge.Files);

        // The decision is journaled like everything else in the run.
        string journal = File.ReadAllText(Path.Combine(engine.StateDirectory!, "runs", result.RunId, "journal.jsonl"));
        string review = Assert.Single(journal.Split('\n'), line => line.Contains("\"t\":\"review\"", StringComparison.Ordinal));
        Assert.Contains("\"task\":\"a\"", review, StringComparison.Ordinal);
        Assert.Contains("\"decision\":\"Rejected\"", review, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"adds a debug endpoint\"", review, StringComparison.Ordinal);
        Assert.Contains("\"reviewer\":\"alice\"", review, StringComparison.Ordinal);
        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(merge.ReportPath!));
        Assert.Equal("rejected", report.RootElement.GetProperty("status").GetString());
        Assert.Equal("adds a debug endpoint", report.RootElement.GetProperty("review").GetProperty("reason").GetString());
        Assert.Contains("1 rejected", File.ReadAllText(result.MergeSummaryPath!), StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_RerunAsked_AgentWorksAgainOnItsBranchWithTheFeedbackThenIsReviewedAgain()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: x
                max_attempts: 3
                instructions: write x.txt
            """);
        var contexts = new ConcurrentQueue<(int Attempt, string? PreviousError, string? Before)>();
        var reviews = new ConcurrentQueue<MergeReview>();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                IAgentWorkspace workspace = context.Workspace!;
                string? before = workspace.Files.FileExists("x.txt") ? await workspace.Files.ReadAllTextAsync("x.txt", ct) : null;
                contexts.Enqueue((context.Attempt, context.PreviousError, before));
                await workspace.Files.WriteAllTextAsync("x.txt", context.PreviousError is null ? "draft\n" : "final\n", ct);
                return AgentOutcome.Success(context.PreviousError is null ? "a draft" : "the final version");
            })
            .UseMergeApproval((review, _) =>
            {
                reviews.Enqueue(review);
                return ValueTask.FromResult(review.Diff.Contains("+final", StringComparison.Ordinal)
                    ? ReviewDecision.Approve()
                    : ReviewDecision.Rerun("write the final version, not a draft"));
            })
            .Build();
        List<RunObserver> observers = Observers(engine);
        var seen = new DecisionRecorder();
        observers.Add(seen);

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(
            [(1, null, null), (2, "A reviewer asked for changes before your work is merged: write the final version, not a draft", "draft\n")],
            contexts.ToArray());
        Assert.Equal([1, 2], reviews.Select(r => r.Round));
        Assert.Equal([1, 2], reviews.Select(r => r.Attempt));
        Assert.Equal(ReviewDecisionKind.RerunRequested, Assert.Single(reviews.Last().PreviousDecisions).Kind);
        Assert.Equal("the final version", reviews.Last().Summary);
        Assert.Equal(["x: RerunRequested", "x: Approved"], seen.Decisions);
        Assert.Equal("final\n", repo.Git("show", "main:x.txt"));
        // Both rounds' work is on the branch, in order.
        Assert.Equal(["x: the final version", "x: a draft", "initial"],
            repo.Git("log", "--format=%s", "agent/x").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_RerunAskedWithNoAttemptLeft_RejectsSayingSo()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: x
                max_attempts: 2
                instructions: write x.txt
            """);
        int runs = 0;
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                Interlocked.Increment(ref runs);
                await context.Workspace!.Files.WriteAllTextAsync("x.txt", $"try {context.Attempt}\n", ct);
                return AgentOutcome.Success();
            })
            .UseMergeApproval((_, _) => ValueTask.FromResult(ReviewDecision.Rerun("still not right")))
            .Build();

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Equal(TaskState.Rejected, result["x"].State);
        Assert.Contains("changes were asked for after the last of the task's 2 attempts: still not right", result["x"].Error, StringComparison.Ordinal);
        Assert.Equal(2, runs);
        Assert.Equal("try 2\n", repo.Git("show", "agent/x:x.txt"));
        Assert.False(repo.Git("ls-tree", "--name-only", "main").Contains("x.txt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_ChecksFailAndForecastConflict_ReviewerSeesBoth()
    {
        using var repo = new GitRepository(("shared.txt", "one\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: x
                instructions: change shared.txt
                checks: ["grep -q ready shared.txt"]
            """);
        var reviews = new ConcurrentQueue<MergeReview>();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("shared.txt", "two\n", ct);
                // Someone commits to main meanwhile, on the same line, then the agent commits: a conflict is forecast.
                repo.Write("shared.txt", "three\n");
                repo.Commit("main changes the same line");
                await context.Workspace.CommitAsync("x: two", ct);
                return AgentOutcome.Success();
            })
            .UseMergeApproval((review, _) =>
            {
                reviews.Enqueue(review);
                return ValueTask.FromResult(ReviewDecision.Reject("the checks fail"));
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, Ct);

        MergeReview review = Assert.Single(reviews);
        ReviewCheck check = Assert.Single(review.Checks);
        Assert.False(check.Succeeded);
        Assert.Equal(1, check.ExitCode);
        Assert.False(review.ChecksPassed);
        ConflictForecast forecast = Assert.Single(review.ForecastConflicts);
        Assert.True(forecast.IsWithMain);
        Assert.Equal("shared.txt", Assert.Single(forecast.Conflicts).Path);
        Assert.Equal(TaskState.Rejected, result["x"].State);
    }

    [Fact]
    public async Task RunAsync_ApproverThrows_TaskFailsAndBranchStays()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .WithRetry(r => r.MaxAttempts = 1)
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("x.txt", "x\n", ct);
                return AgentOutcome.Success();
            })
            .UseMergeApproval((_, _) => throw new HttpRequestException("the review service is down"))
            .Build();

        RunResult result = await engine.RunAsync(TaskPlan.Create([new AgentTask { Id = "x", Instructions = "x" }]), Ct);

        Assert.Equal(TaskState.Failed, result["x"].State);
        Assert.Contains("the review of branch 'agent/x' failed: the review service is down", result["x"].Error, StringComparison.Ordinal);
        Assert.Equal("x\n", repo.Git("show", "agent/x:x.txt"));
        Assert.Empty(result.Merges);
    }

    [Fact]
    public async Task RunAsync_SeveralAgentsOnTheTaskAndTheWinnerRejected_TaskRejectedNotCancelled()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: x
                agent_count: 2
                instructions: write x.txt
              - id: y
                dependencies: [x]
                instructions: write y.txt
            """);
        var reviewed = new ConcurrentQueue<string>();
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("x.txt", $"lane {context.Lane}\n", ct);
                if (context.Lane == 1)
                {
                    // The second lane waits to be stopped by the first one's success.
                    await Task.Delay(Timeout.Infinite, ct);
                }

                return AgentOutcome.Success();
            })
            .UseMergeApproval((review, _) =>
            {
                reviewed.Enqueue(review.Branch);
                return ValueTask.FromResult(ReviewDecision.Reject("not this way"));
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.Equal(TaskState.Rejected, result["x"].State);
        Assert.Contains("rejected in review: not this way", result["x"].Error, StringComparison.Ordinal);
        Assert.Equal("dependency 'x' was rejected in review", result["y"].Error);
        Assert.Equal(["agent/x+1"], reviewed);
        Assert.Contains(result["x"].Attempts, a => a.Status == AttemptStatus.Cancelled);
    }

    [Fact]
    public async Task RunAsync_RerunFails_TaskFailsWithTheRerunsErrorAndKeepsItsWork()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                await context.Workspace!.Files.WriteAllTextAsync("x.txt", $"attempt {context.Attempt}\n", ct);
                return context.PreviousError is null ? AgentOutcome.Success() : AgentOutcome.Failure("cannot do what the reviewer asks", isTransient: true);
            })
            .UseMergeApproval((_, _) => ValueTask.FromResult(ReviewDecision.Rerun("do it differently")))
            .Build();

        RunResult result = await engine.RunAsync(TaskPlan.Create([new AgentTask { Id = "x", Instructions = "x", MaxAttempts = 3 }]), Ct);

        TaskResult x = result["x"];
        Assert.Equal(TaskState.Failed, x.State);
        Assert.Equal("the re-run asked for in review failed: cannot do what the reviewer asks The work stays on 'agent/x'.", x.Error);
        Assert.Single(x.Attempts);
        Assert.Equal("attempt 2\n", repo.Git("show", "agent/x:x.txt"));
    }

    [Fact]
    public void Build_ApprovalWithoutRepository_SaysWhatIsMissing()
    {
        var builder = new ParallelAgentsBuilder()
            .UseAgent((_, _) => ValueTask.FromResult(AgentOutcome.Success()))
            .UseMergeApproval(new DelegateMergeApprover((_, _) => ValueTask.FromResult(ReviewDecision.Approve())), o => o.MaxDiffChars = 10);

        var error = Assert.Throws<ParallelAgentsConfigurationException>(builder.Build);

        Assert.Contains(error.Problems, p => p.StartsWith("Merge approval reviews branches before they are merged, so it needs a repository", StringComparison.Ordinal));
        Assert.Contains("MergeApprovalOptions.MaxDiffChars must be at least 1,000, not 10.", error.Problems);
    }

    [Fact]
    public void ReviewDecision_Factories_CheckAndDescribe()
    {
        Assert.Throws<ArgumentException>(() => ReviewDecision.Reject(" "));
        Assert.Throws<ArgumentException>(() => ReviewDecision.Rerun(""));
        Assert.Equal("approved", ReviewDecision.Approve().ToString());
        Assert.Equal("rejected by bob: no tests", (ReviewDecision.Reject(" no tests ") with { Reviewer = "bob" }).ToString());
        Assert.Equal("re-run requested: add tests", ReviewDecision.Rerun("add tests").ToString());
    }

    /// <summary>The unified diff without its <c>index</c> lines, whose abbreviated ids depend on the tool.</summary>
    private static string DiffBody(string diff) =>
        string.Join('\n', diff.Split('\n').Where(l => !l.StartsWith("index ", StringComparison.Ordinal))).TrimEnd('\n');

    private static List<RunObserver> Observers(AgentEngine engine) =>
        (List<RunObserver>)typeof(AgentEngine).GetField("_observers", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(engine)!;

    private sealed class DecisionRecorder : RunObserver
    {
        public ConcurrentQueue<string> Decisions { get; } = new();

        public override void ReviewDecided(AgentTask task, string branch, ReviewDecision decision) =>
            Decisions.Enqueue($"{task.Id}: {decision.Kind}");
    }
}
