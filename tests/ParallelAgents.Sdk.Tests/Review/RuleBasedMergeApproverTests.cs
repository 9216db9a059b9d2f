using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Review;

/// <summary>The ready-made rules: keys rejected, protected paths and oversized branches rejected, failing checks sent
/// back, the rest handed on.</summary>
public class RuleBasedMergeApproverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MergeReview Review(
        IReadOnlyList<ReviewFileChange>? files = null, IReadOnlyList<ReviewCheck>? checks = null, IReadOnlyList<string>? secrets = null) => new()
    {
        RunId = "run-1",
        Task = new AgentTask { Id = "x", Instructions = "x" },
        Attempt = 1,
        Round = 1,
        Branch = "agent/x",
        MainBranch = "main",
        HeadCommit = new string('a', 40),
        Diff = "",
        Files = files ?? [new ReviewFileChange("src/app.js", "modified", 3, 1)],
        Checks = checks ?? [],
        SuspectedSecrets = secrets ?? [],
    };

    [Fact]
    public async Task ReviewAsync_SuspectedSecret_Rejects()
    {
        ReviewDecision decision = await new RuleBasedMergeApprover().ReviewAsync(Review(secrets: ["config/app.env:3"]), Ct);

        Assert.Equal(ReviewDecisionKind.Rejected, decision.Kind);
        Assert.StartsWith("it adds what looks like an API key or token at config/app.env:3", decision.Reason, StringComparison.Ordinal);
        Assert.Equal("rules", decision.Reviewer);
    }

    [Fact]
    public async Task ReviewAsync_ProtectedPathRenamedAway_Rejects()
    {
        var approver = new RuleBasedMergeApprover { ProtectedPaths = { ".github/workflows/*" } };

        ReviewDecision decision = await approver.ReviewAsync(
            Review(files: [new ReviewFileChange("ci-disabled.yml", "renamed", 0, 0) { OldPath = ".github/workflows/ci.yml" }]), Ct);

        Assert.Equal("it changes 'ci-disabled.yml', which is protected ('.github/workflows/*')", decision.Reason);
    }

    [Fact]
    public async Task ReviewAsync_TooManyLines_Rejects()
    {
        var approver = new RuleBasedMergeApprover { MaxChangedLines = 3 };

        ReviewDecision decision = await approver.ReviewAsync(Review(), Ct);

        Assert.Equal("it changes 4 lines, over the 3 a review may cover; split the task", decision.Reason);
    }

    [Fact]
    public async Task ReviewAsync_CheckFails_AsksForARerunWithItsOutput()
    {
        ReviewDecision decision = await new RuleBasedMergeApprover().ReviewAsync(
            Review(checks: [new ReviewCheck("npm test", true, 0, "ok"), new ReviewCheck("npm run lint", false, 2, "app.js:3 missing semicolon\n")]), Ct);

        Assert.Equal(ReviewDecisionKind.RerunRequested, decision.Kind);
        Assert.Equal("the check `npm run lint` fails (exit code 2); make it pass. Its output:\napp.js:3 missing semicolon", decision.Reason);
    }

    [Fact]
    public async Task ReviewAsync_EveryRulePasses_AsksTheNextApproverOrApproves()
    {
        var person = new DelegateMergeApprover((_, _) => ValueTask.FromResult(ReviewDecision.Reject("not today") with { Reviewer = "alice" }));

        ReviewDecision handedOn = await new RuleBasedMergeApprover(person).ReviewAsync(Review(), Ct);
        ReviewDecision approved = await new RuleBasedMergeApprover().ReviewAsync(Review(), Ct);

        Assert.Equal("alice", handedOn.Reviewer);
        Assert.Equal(ReviewDecisionKind.Approved, approved.Kind);
        Assert.Equal("rules", approved.Reviewer);
    }

    [Fact]
    public async Task RunAsync_ChecksFailThenPass_AgentFixesItOnItsBranchAndTheWorkIsMerged()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: x
                instructions: write x.txt saying ready
                checks: ["grep -q ready x.txt"]
            """);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent(async (context, ct) =>
            {
                // The first attempt forgets the word; the re-run reads the failing check in its previous error.
                bool told = context.PreviousError?.Contains("grep -q ready x.txt", StringComparison.Ordinal) == true;
                await context.Workspace!.Files.WriteAllTextAsync("x.txt", told ? "ready\n" : "almost\n", ct);
                return AgentOutcome.Success();
            })
            .UseMergeApproval(new RuleBasedMergeApprover())
            .Build();

        RunResult result = await engine.RunAsync(plan, Ct);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("ready\n", repo.Git("show", "main:x.txt"));
        Assert.Equal("every rule passed", Assert.Single(result.Merges).Review!.Reason);
    }
}
