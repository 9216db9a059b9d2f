using System.Text.Json;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Merging;

public sealed class BranchMergerTests
{
    private static readonly Dictionary<string, string> Base = new()
    {
        ["a.txt"] = "one\ntwo\nthree\nfour\nfive\n",
        ["d.txt"] = "to be deleted\n",
        ["status.txt"] = "ok\n",
    };

    private static MergeRequest Request(string taskId, IReadOnlyList<IConflictResolver>? resolvers = null, int position = 0) => new()
    {
        RunId = "run-1",
        Task = new AgentTask { Id = taskId, Instructions = "do " + taskId },
        Branch = "agent/" + taskId,
        PlanPosition = position,
        Resolvers = resolvers ?? [],
    };

    /// <summary>agent/x and main both change line 2 of a.txt.</summary>
    private static (string Theirs, string Ours) MakeConflict(MergeTestRepository repo, string task = "x")
    {
        string theirs = repo.OnBranch("agent/" + task, "main", r => r.Write("a.txt", "one\nTWO from agent\nthree\nfour\nfive\n"));
        string ours = repo.OnMain(r => r.Write("a.txt", "one\ntwo from main\nthree\nfour\nfive\n"));
        return (theirs, ours);
    }

    /// <summary>A commit on top of <paramref name="ours"/> that carries the agent's change without conflict.</summary>
    private static string MakeResolution(MergeTestRepository repo, string ours, string name = "fix")
    {
        string commit = repo.OnBranch(name, ours, r => r.Write("a.txt", "one\ntwo from main, TWO from agent\nthree\nfour\nfive\n"), "resolve");
        return commit;
    }

    [Fact]
    public async Task MergeAsync_CleanBranch_AdvancesMainWithMergeCommitAndLeavesBranch()
    {
        using var repo = MergeTestRepository.Create(Base);
        string theirs = repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "new from agent\n"));
        string ours = repo.OnMain(r => r.Write("c.txt", "new on main\n"));

        await using var merger = new BranchMerger(repo.Options());
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Merged, result.Status);
        Assert.Equal(result.MergedCommit, repo.RevParse("main"));
        Assert.Equal([ours, theirs], repo.Parents("main"));
        Assert.Equal(["a.txt", "b.txt", "c.txt", "d.txt", "status.txt"], repo.TreeFiles("main"));
        Assert.Equal(theirs, repo.RevParse("agent/x"));
        Assert.Equal(ours, result.OursCommit);
        Assert.Equal(theirs, result.TheirsCommit);
        Assert.Equal(repo.Git("merge-base", ours, theirs), result.BaseCommit);
        Assert.Equal(["b.txt"], result.Files);
        Assert.Contains("ParallelAgents-Task: x", repo.Git("log", "-1", "--format=%B", "main"), StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_Squash_WritesOneCommitWithMainAsOnlyParent()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "first\n"), "first step");
        repo.Git("checkout", "-q", "agent/x");
        repo.Write("b.txt", "first\nsecond\n");
        repo.Commit("second step");
        repo.Git("checkout", "-q", "main");
        string ours = repo.OnMain(r => r.Write("c.txt", "main\n"));

        await using var merger = new BranchMerger(repo.Options(o => o.Strategy = MergeStrategy.Squash));
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Merged, result.Status);
        Assert.Equal([ours], repo.Parents("main"));
        Assert.Equal("first\nsecond", repo.ShowFile("main", "b.txt"));
        Assert.Equal("main", repo.ShowFile("main", "c.txt"));
        string message = repo.Git("log", "-1", "--format=%B", "main");
        Assert.Contains("* first step", message, StringComparison.Ordinal);
        Assert.Contains("* second step", message, StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_FastForwardWhenMainDidNotMove_MovesMainToTheBranch()
    {
        using var repo = MergeTestRepository.Create(Base);
        string theirs = repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "b\n"));

        await using var merger = new BranchMerger(repo.Options(o => o.Strategy = MergeStrategy.FastForward));
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Merged, result.Status);
        Assert.Equal(theirs, repo.RevParse("main"));
        Assert.Equal(theirs, result.MergedCommit);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_FastForwardWhenMainMoved_WritesMergeCommit()
    {
        using var repo = MergeTestRepository.Create(Base);
        string theirs = repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "b\n"));
        string ours = repo.OnMain(r => r.Write("c.txt", "c\n"));

        await using var merger = new BranchMerger(repo.Options(o => o.Strategy = MergeStrategy.FastForward));
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Merged, result.Status);
        Assert.Equal([ours, theirs], repo.Parents("main"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_BranchAlreadyInMain_IsSkipped()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.Git("branch", "agent/x", "main");
        string main = repo.RevParse("main");

        await using var merger = new BranchMerger(repo.Options());
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Skipped, result.Status);
        Assert.Equal(main, repo.RevParse("main"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_Conflict_LeavesMainAndBranchAndReportsEachFileWithLines()
    {
        using var repo = MergeTestRepository.Create(Base);
        (string theirs, string ours) = MakeConflict(repo);
        repo.Git("checkout", "-q", "agent/x");
        repo.Delete("d.txt");
        repo.Write("status.txt", "agent\n");
        theirs = repo.Commit("more agent work");
        repo.Git("checkout", "-q", "main");
        repo.Write("d.txt", "main edits the deleted file\n");
        ours = repo.Commit("main edits d");

        await using var merger = new BranchMerger(repo.Options());
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Conflict, result.Status);
        Assert.Equal(ours, repo.RevParse("main"));
        Assert.Equal(theirs, repo.RevParse("agent/x"));
        Assert.Null(result.MergedCommit);
        Assert.Collection(
            result.Conflicts,
            a =>
            {
                Assert.Equal("a.txt", a.Path);
                Assert.Equal("content", a.Kind);
                Assert.Equal([new LineRange(2, 2)], a.OursLines);
                Assert.Equal([new LineRange(2, 2)], a.TheirsLines);
            },
            d =>
            {
                Assert.Equal("d.txt", d.Path);
                Assert.Equal("modify/delete", d.Kind);
                Assert.Equal([new LineRange(1, 1)], d.OursLines);
                Assert.Empty(d.TheirsLines);
            });
        Assert.Contains("a.txt", result.Message, StringComparison.Ordinal);
        Assert.Equal("", repo.Git("status", "--porcelain"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_ConflictWithAnotherTasksMerge_NamesThatTask()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.OnBranch("agent/y", "main", r => r.Write("a.txt", "one\ntwo from y\nthree\nfour\nfive\n"));
        repo.OnBranch("agent/x", "main", r => r.Write("a.txt", "one\ntwo from x\nthree\nfour\nfive\n"));

        await using var merger = new BranchMerger(repo.Options());
        MergeResult y = await merger.MergeAsync(Request("y"), TestContext.Current.CancellationToken);
        MergeResult x = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Merged, y.Status);
        Assert.Equal(MergeStatus.Conflict, x.Status);
        Assert.Equal("y", Assert.Single(x.Conflicts).OtherTaskId);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_ResolverChain_IsAskedInOrderAndFirstResolutionWins()
    {
        using var repo = MergeTestRepository.Create(Base);
        (_, string ours) = MakeConflict(repo);
        string fix = MakeResolution(repo, ours);
        var log = new List<string>();
        var first = new TestResolver("first", _ => ConflictResolution.NotResolved("cannot")) { SharedLog = log };
        var second = new TestResolver("second", _ => ConflictResolution.Resolved(fix, "merged both lines")) { SharedLog = log };
        var third = new TestResolver("third", _ => throw new InvalidOperationException("must not be asked")) { SharedLog = log };

        await using var merger = new BranchMerger(repo.Options());
        MergeResult result = await merger.MergeAsync(Request("x", [first, second, third]), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Resolved, result.Status);
        Assert.Equal(["first", "second"], log);
        Assert.Equal("second", result.Resolver);
        Assert.Equal(fix, result.ResolutionCommit);
        Assert.Equal("one\ntwo from main, TWO from agent\nthree\nfour\nfive", repo.ShowFile("main", "a.txt"));
        Assert.Equal([ours, fix], repo.Parents("main"));
        ConflictContext context = Assert.Single(first.Calls);
        Assert.Equal(ours, context.OursCommit);
        Assert.Equal("a.txt", Assert.Single(context.Conflicts).Path);
        Assert.Equal(["first: not resolved: cannot", $"second: resolved with {fix[..12]}: merged both lines"], result.ResolverAttempts);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_ResolutionThatStillConflicts_IsRefusedAndTheChainGoesOn()
    {
        using var repo = MergeTestRepository.Create(Base);
        (string theirs, string ours) = MakeConflict(repo);
        string fix = MakeResolution(repo, ours);
        var stubborn = new TestResolver("stubborn", _ => ConflictResolution.Resolved(theirs));
        var good = new TestResolver("good", _ => ConflictResolution.Resolved(fix));

        await using var merger = new BranchMerger(repo.Options());
        MergeResult result = await merger.MergeAsync(Request("x", [stubborn, good]), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Resolved, result.Status);
        Assert.Equal("good", result.Resolver);
        Assert.StartsWith("stubborn: refused: ", result.ResolverAttempts[0], StringComparison.Ordinal);
        Assert.Contains("still conflicts", result.ResolverAttempts[0], StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_NoResolverResolves_EndsInConflict()
    {
        using var repo = MergeTestRepository.Create(Base);
        (string theirs, string ours) = MakeConflict(repo);
        var failing = new TestResolver("broken", _ => throw new InvalidOperationException("model unavailable"));
        var bogus = new TestResolver("bogus", _ => ConflictResolution.Resolved("0123456789012345678901234567890123456789"));

        await using var merger = new BranchMerger(repo.Options());
        MergeResult result = await merger.MergeAsync(Request("x", [failing, bogus]), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Conflict, result.Status);
        Assert.Null(result.Resolver);
        Assert.Equal(ours, repo.RevParse("main"));
        Assert.Equal(theirs, repo.RevParse("agent/x"));
        Assert.Equal("broken: failed: InvalidOperationException: model unavailable", result.ResolverAttempts[0]);
        Assert.StartsWith("bogus: refused:", result.ResolverAttempts[1], StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_VerifyFails_KeepsMainAndNamesTheCommandAndOutput()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.OnBranch("agent/x", "main", r => r.Write("status.txt", "broken\n"));
        string ours = repo.OnMain(r => r.Write("c.txt", "c\n"));
        const string Verify = "grep -qx ok status.txt || { echo \"status is $(cat status.txt)\"; exit 3; }";

        MergeResult result;
        await using (var merger = new BranchMerger(repo.Options(o => o.VerifyCommands.Add(Verify))))
        {
            result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);
            Assert.Equal(2, repo.Git("worktree", "list").Split('\n').Length);
        }

        Assert.Equal(MergeStatus.VerifyFailed, result.Status);
        Assert.Equal(ours, repo.RevParse("main"));
        Assert.Equal(Verify, result.VerifyCommand);
        Assert.Contains("status is broken", result.VerifyOutput, StringComparison.Ordinal);
        Assert.Contains(Verify, result.Message, StringComparison.Ordinal);
        Assert.Single(repo.Git("worktree", "list").Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(repo.Folder, "repo.worktrees", "pa-integration-run-1")));
        Assert.DoesNotContain("pa-integration", repo.Git("branch", "--list"), StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_VerifyPasses_RunsOnTheMergedTreeAndReusesTheWorktree()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "b\n"));
        repo.OnBranch("agent/y", "main", r => r.Write("c.txt", "c\n"));
        // The merged tree must hold both sides: main's status.txt and the branch's own file.
        const string Verify = "grep -qx ok status.txt && ls b.txt && echo built > untracked-output.txt";

        await using var merger = new BranchMerger(repo.Options(o => o.VerifyCommands.Add(Verify)));
        MergeResult x = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);
        MergeResult y = await merger.MergeAsync(Request("y"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Merged, x.Status);
        Assert.Equal(MergeStatus.Merged, y.Status);
        Assert.Equal(["a.txt", "b.txt", "c.txt", "d.txt", "status.txt"], repo.TreeFiles("main"));
        Assert.Equal(2, repo.Git("worktree", "list").Split('\n').Length);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_MainMovedMeanwhile_RecomputesOnTheNewMain()
    {
        using var repo = MergeTestRepository.Create(Base);
        string theirs = repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "b\n"));
        string flag = Path.Combine(repo.Folder, "moved.flag");

        // The verify step runs between computing the merge and advancing main: the first time, it commits to main
        // from outside, as another process would.
        string verify = $"if [ ! -f '{flag}' ]; then touch '{flag}'; git -C '{repo.Root}' -c user.name=other -c user.email=o@x.invalid commit -q --allow-empty -m 'moved meanwhile'; fi";

        using var logs = new ListLoggerFactory();
        await using var merger = new BranchMerger(repo.Options(o =>
        {
            o.VerifyCommands.Add(verify);
            o.LoggerFactory = logs;
        }));
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        string moved = repo.RevParse("main^1");
        Assert.Contains(logs.Entries, e => e.Message.Contains("main moved from", StringComparison.Ordinal));
        Assert.Equal(MergeStatus.Merged, result.Status);
        Assert.Equal("moved meanwhile", repo.Git("log", "-1", "--format=%s", moved));
        Assert.Equal(moved, result.OursCommit);
        Assert.Equal([moved, theirs], repo.Parents("main"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_MainMovedDuringResolution_AsksTheResolversAgainOnTheNewMain()
    {
        using var repo = MergeTestRepository.Create(Base);
        (_, string ours) = MakeConflict(repo);
        string fix = MakeResolution(repo, ours);
        string? moved = null;
        var resolver = new TestResolver("mover", context =>
        {
            moved ??= repo.OnMain(r => r.Write("z.txt", "z\n"), "moved during resolution");
            return ConflictResolution.Resolved(fix);
        });

        await using var merger = new BranchMerger(repo.Options());
        MergeResult result = await merger.MergeAsync(Request("x", [resolver]), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Resolved, result.Status);
        Assert.Equal([ours, moved], resolver.Calls.Select(c => c.OursCommit).ToArray());
        Assert.Equal([moved!, fix], repo.Parents("main"));
        Assert.Equal("z", repo.ShowFile("main", "z.txt"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_DirtyUserWorkingTree_IsLeftByteForByteWhileMainAdvances()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.OnBranch("agent/x", "main", r =>
        {
            r.Write("a.txt", "one\ntwo\nthree\nfour\nfive\nsix from agent\n");
            r.Write("new.txt", "added by agent\n");
        });
        string ours = repo.RevParse("main");
        repo.Write("status.txt", "user edit, not committed\n");
        repo.Write("staged.txt", "user staged\n");
        repo.Git("add", "staged.txt");
        repo.Write("scratch.txt", "untracked user file\n");
        Dictionary<string, byte[]> before = repo.Snapshot();
        string statusBefore = repo.Git("status", "--porcelain");

        await using var merger = new BranchMerger(repo.Options());
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Merged, result.Status);
        Assert.NotEqual(ours, repo.RevParse("main"));
        Assert.False(result.WorkingTreeUpdated);
        Assert.Equal(repo.Root, result.WorkingTreeLeftAsIs);
        Assert.Contains("left exactly as it was", result.Message, StringComparison.Ordinal);
        Dictionary<string, byte[]> after = repo.Snapshot();
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        foreach ((string path, byte[] bytes) in before)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(after[path]), $"{path} changed");
        }

        // The report's steps bring the tree up to date with the user's changes kept.
        Assert.NotEqual(statusBefore, repo.Git("status", "--porcelain"));
        string json = File.ReadAllText(result.ReportPath!);
        using JsonDocument report = JsonDocument.Parse(json);
        string[] steps = [.. report.RootElement.GetProperty("manual_steps").EnumerateArray().Select(s => s.GetString()!)];
        Assert.StartsWith("cd ", steps[0], StringComparison.Ordinal);
        foreach (string step in steps[1..])
        {
            repo.Git(step.Split(' ')[1..]);
        }

        Assert.Equal(result.MergedCommit, repo.RevParse("main"));
        Assert.Equal("user edit, not committed\n", repo.Read("status.txt"));
        Assert.Equal("user staged\n", repo.Read("staged.txt"));
        Assert.Equal("untracked user file\n", repo.Read("scratch.txt"));
        Assert.Equal("added by agent\n", repo.Read("new.txt"));
        Assert.EndsWith("six from agent\n", repo.Read("a.txt"), StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_UntrackedFileInTheWayOfTheMerge_LeavesTheWorkingTree()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.OnBranch("agent/x", "main", r => r.Write("new.txt", "added by agent\n"));
        repo.Write("new.txt", "the user's own untracked new.txt\n");

        await using var merger = new BranchMerger(repo.Options());
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Merged, result.Status);
        Assert.False(result.WorkingTreeUpdated);
        Assert.Equal("the user's own untracked new.txt\n", repo.Read("new.txt"));
        Assert.Contains("new.txt", result.Message, StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_CleanCheckedOutWorkingTree_IsUpdated()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.OnBranch("agent/x", "main", r =>
        {
            r.Write("a.txt", "one\ntwo\nthree\nfour\nfive\nsix\n");
            r.Delete("d.txt");
            r.Write("dir/new.txt", "new\n");
        });
        repo.Write("ignored-by-user.log", "kept\n");
        File.WriteAllText(Path.Combine(repo.Root, ".git", "info", "exclude"), "*.log\n");

        await using var merger = new BranchMerger(repo.Options());
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Merged, result.Status);
        Assert.True(result.WorkingTreeUpdated);
        Assert.Null(result.WorkingTreeLeftAsIs);
        Assert.Equal("", repo.Git("status", "--porcelain"));
        Assert.Equal("one\ntwo\nthree\nfour\nfive\nsix\n", repo.Read("a.txt"));
        Assert.False(File.Exists(Path.Combine(repo.Root, "d.txt")));
        Assert.Equal("new\n", repo.Read("dir/new.txt"));
        Assert.Equal("kept\n", repo.Read("ignored-by-user.log"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_ConflictReport_MatchesApprovedFile()
    {
        using var repo = MergeTestRepository.Create(Base);
        MakeConflict(repo);

        await using var merger = new BranchMerger(repo.Options(o => o.ReportsDirectory = "reports"));
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.NotNull(result.ReportPath);
        Assert.Equal(Path.Combine(repo.Root, "reports"), Path.GetDirectoryName(result.ReportPath));
        Assert.Matches(@"^merge_x_\d{8}_\d{6}\.json$", Path.GetFileName(result.ReportPath));
        string json = File.ReadAllText(result.ReportPath);
        using (JsonDocument.Parse(json))
        {
        }

        Approved.Verify(Approved.Normalize(json, repo.Root), "merge_conflict.json", "Merging");
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_ResolvedReportAndSummary_MatchApprovedFiles()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.OnBranch("agent/clean", "main", r => r.Write("b.txt", "b\n"));
        (_, string ours) = MakeConflict(repo);
        string fix = MakeResolution(repo, ours);
        var resolver = new TestResolver("rerun-agent", _ => ConflictResolution.Resolved(fix, "agent redid its work on the new main"));

        await using var merger = new BranchMerger(repo.Options());
        MergeResult x = await merger.MergeAsync(Request("x", [resolver]), TestContext.Current.CancellationToken);
        MergeResult clean = await merger.MergeAsync(Request("clean"), TestContext.Current.CancellationToken);
        MergeResult missing = await merger.MergeAsync(Request("missing"), TestContext.Current.CancellationToken);
        string? summary = merger.WriteSummary([x, clean, missing]);

        Assert.Equal([MergeStatus.Resolved, MergeStatus.Merged, MergeStatus.Skipped], new[] { x.Status, clean.Status, missing.Status });
        Approved.Verify(Approved.Normalize(File.ReadAllText(x.ReportPath!), repo.Root), "merge_resolved.json", "Merging");
        Assert.NotNull(summary);
        Assert.Matches(@"^merge_summary_\d{8}_\d{6}\.txt$", Path.GetFileName(summary));
        string?[] ids = [.. new[] { x, clean }.SelectMany(r => new[] { r.BaseCommit, r.OursCommit, r.TheirsCommit, r.ResolutionCommit, r.MergedCommit })];
        Approved.Verify(Approved.Normalize(File.ReadAllText(summary), repo.Root, ids), "merge_summary.txt", "Merging");
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAllAsync_MergesInDependencyOrderAndSkipsDependentsOfFailures()
    {
        using var repo = MergeTestRepository.Create(Base);
        TaskPlan plan = TaskPlan.Create(
        [
            new AgentTask { Id = "api", Instructions = "api", Dependencies = ["schema"] },
            new AgentTask { Id = "schema", Instructions = "schema" },
            new AgentTask { Id = "ui", Instructions = "ui", Dependencies = ["conflicting"] },
            new AgentTask { Id = "conflicting", Instructions = "c", Priority = TaskPriority.High },
            new AgentTask { Id = "done", Instructions = "already merged" },
            new AgentTask { Id = "after-done", Instructions = "a", Dependencies = ["done"] },
            new AgentTask { Id = "lost", Instructions = "branch missing" },
            new AgentTask { Id = "after-lost", Instructions = "a", Dependencies = ["lost"] },
        ]);
        repo.Git("branch", "agent/done", "main");
        repo.OnBranch("agent/after-done", "main", r => r.Write("after-done.txt", "x\n"));
        repo.OnBranch("agent/after-lost", "main", r => r.Write("after-lost.txt", "x\n"));
        repo.OnBranch("agent/schema", "main", r => r.Write("schema.sql", "create\n"));
        repo.OnBranch("agent/api", "agent/schema", r => r.Write("api.js", "api\n"));
        repo.OnBranch("agent/conflicting", "main", r => r.Write("a.txt", "changed by task\n"));
        repo.OnBranch("agent/ui", "main", r => r.Write("ui.js", "ui\n"));
        repo.OnMain(r => r.Write("a.txt", "changed on main\n"));

        await using var merger = new BranchMerger(repo.Options(o => o.ReportsDirectory = null));
        IReadOnlyList<MergeResult> results = await merger.MergeAllAsync(
            "run-2", plan, ["api", "schema", "ui", "conflicting", "done", "after-done", "lost", "after-lost"], [], cancellationToken: TestContext.Current.CancellationToken);

        // Dependencies first, then the high-priority task, then plan order.
        Assert.Equal(["conflicting", "schema", "api", "ui", "done", "after-done", "lost", "after-lost"], results.Select(r => r.TaskId));
        Assert.Equal(
            [MergeStatus.Conflict, MergeStatus.Merged, MergeStatus.Merged, MergeStatus.Skipped, MergeStatus.Skipped, MergeStatus.Merged, MergeStatus.Skipped, MergeStatus.Skipped],
            results.Select(r => r.Status));
        Assert.Contains("'conflicting'", results[3].Message, StringComparison.Ordinal);
        Assert.Contains("'lost'", results[7].Message, StringComparison.Ordinal);
        Assert.Null(merger.WriteSummary(results));
        Assert.False(Directory.Exists(Path.Combine(repo.Root, "reports")));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_MissingMainBranch_ThrowsWithWhatToDo()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "b\n"));

        await using var merger = new BranchMerger(repo.Options(o => o.MainBranch = "trunk"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken));

        Assert.Contains("'trunk' does not exist", error.Message, StringComparison.Ordinal);
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_ResolutionFailsVerify_IsRefusedAndTheNextResolverWins()
    {
        using var repo = MergeTestRepository.Create(Base);
        (_, string ours) = MakeConflict(repo);
        string broken = repo.OnBranch("broken-fix", ours, r =>
        {
            r.Write("a.txt", "one\ntwo from main, TWO from agent\nthree\nfour\nfive\n");
            r.Write("status.txt", "broken\n");
        });
        string good = MakeResolution(repo, ours);
        var careless = new TestResolver("careless", _ => ConflictResolution.Resolved(broken));
        var careful = new TestResolver("careful", _ => ConflictResolution.Resolved(good));

        await using var merger = new BranchMerger(repo.Options(o => o.VerifyCommands.Add("grep -qx ok status.txt")));
        MergeResult onlyCareless = await merger.MergeAsync(Request("x", [careless]), TestContext.Current.CancellationToken);
        MergeResult both = await merger.MergeAsync(Request("x", [careless, careful]), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.VerifyFailed, onlyCareless.Status);
        Assert.Equal("grep -qx ok status.txt", onlyCareless.VerifyCommand);
        Assert.Contains("careless", onlyCareless.Message, StringComparison.Ordinal);
        Assert.Equal(MergeStatus.Resolved, both.Status);
        Assert.Equal("careful", both.Resolver);
        Assert.Contains("'grep -qx ok status.txt' failed", both.ResolverAttempts[0], StringComparison.Ordinal);
        Assert.Equal("ok", repo.ShowFile("main", "status.txt"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_MainCheckedOutInLinkedWorktree_UpdatesThatWorktreeOnly()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "b\n"));
        repo.Git("checkout", "-q", "-b", "work");
        string linked = Path.Combine(repo.Folder, "main-checkout");
        repo.Git("worktree", "add", "-q", linked, "main");

        await using var merger = new BranchMerger(repo.Options());
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Merged, result.Status);
        Assert.True(result.WorkingTreeUpdated);
        Assert.Equal("b\n", File.ReadAllText(Path.Combine(linked, "b.txt")));
        Assert.False(File.Exists(Path.Combine(repo.Root, "b.txt")));
        Assert.Equal("", repo.Git("-C", linked, "status", "--porcelain"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_BareRepository_AdvancesMain()
    {
        using var repo = MergeTestRepository.Create(Base);
        string theirs = repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "b\n"));
        string bare = Path.Combine(repo.Folder, "bare.git");
        repo.Git("clone", "-q", "--bare", repo.Root, bare);

        await using var merger = new BranchMerger(new MergeOptions { RepositoryPath = bare, ReportsDirectory = null });
        MergeResult result = await merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Merged, result.Status);
        Assert.False(result.WorkingTreeUpdated);
        Assert.Equal(theirs, repo.Git("--git-dir", bare, "rev-parse", "main^2"));
        Assert.Equal("", repo.Git("--git-dir", bare, "fsck", "--no-dangling"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_MainLockedByAnotherGitCommand_ThrowsAndLeavesTheLock()
    {
        using var repo = MergeTestRepository.Create(Base);
        repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "b\n"));
        string main = repo.RevParse("main");
        string lockFile = Path.Combine(repo.Root, ".git", "refs", "heads", "main.lock");
        File.WriteAllText(lockFile, "held by someone else\n");

        await using var merger = new BranchMerger(repo.Options(o => o.MaxMainBranchRetries = 2));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => merger.MergeAsync(Request("x"), TestContext.Current.CancellationToken));

        Assert.Contains("main.lock", error.Message, StringComparison.Ordinal);
        Assert.Equal("held by someone else\n", File.ReadAllText(lockFile));
        File.Delete(lockFile);
        Assert.Equal(main, repo.RevParse("main"));
        repo.AssertFsckClean();
    }

    [Fact]
    public void MergeOptions_Invalid_ListsEveryProblem()
    {
        var options = new MergeOptions
        {
            RepositoryPath = " ",
            MainBranch = "bad..name",
            VerifyTimeout = TimeSpan.Zero,
            CommitterEmail = "no spaces@x",
            MaxResolutionRounds = 0,
        };
        options.VerifyCommands.Add("");

        var error = Assert.Throws<ParallelAgentsConfigurationException>(options.Validate);

        Assert.Equal(6, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Contains("RepositoryPath", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("'bad..name'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("VerifyCommands[0]", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("VerifyTimeout", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("CommitterEmail", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("MaxResolutionRounds", StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_NoRepository_SaysWhereAndWhatToDo()
    {
        string folder = Path.Combine(Path.GetTempPath(), "pa-merge-tests", "no-repo-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            var error = Assert.Throws<ArgumentException>(() => new BranchMerger(new MergeOptions { RepositoryPath = folder }));
            Assert.Contains(folder, error.Message, StringComparison.Ordinal);
            Assert.Contains("git init", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }
}
