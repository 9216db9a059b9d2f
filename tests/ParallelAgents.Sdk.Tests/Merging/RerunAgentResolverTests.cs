using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Merging;

public sealed class RerunAgentResolverTests : IDisposable
{
    private readonly TestRepository _repo = TestRepository.Create(new Dictionary<string, string?>
    {
        ["src/app.js"] = TestRepository.TenLines,
        ["README.md"] = TestRepository.TenLines,
    });

    public RerunAgentResolverTests()
    {
        _repo.CreateBranch("agent/api");
        _repo.Commit("agent/api", new Dictionary<string, string?>
        {
            ["src/app.js"] = TestRepository.TenLinesWith((3, "api's line 3")),
            ["README.md"] = TestRepository.TenLinesWith((9, "api's line 9")),
        }, "api");
        _repo.Commit("main", new Dictionary<string, string?>
        {
            ["src/app.js"] = TestRepository.TenLinesWith((3, "schema's line 3"), (4, "schema's line 4")),
            ["README.md"] = TestRepository.TenLinesWith((9, "schema's line 9")),
        }, "schema merged");
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task ResolveAsync_ConflictedMerge_InstructionsNameEveryFileItsLinesAndMainsChange()
    {
        var calls = new List<string>();
        string? resolvedCommit = null;
        ConflictContext context = ConflictContexts.Create(_repo, "api", otherTaskId: "schema", rerun: (instructions, _) =>
        {
            calls.Add(instructions);
            // The agent redoes its work on main: a real commit on a fresh branch from main's tip.
            _repo.CreateBranch("agent/api-rerun", "main");
            resolvedCommit = _repo.Commit("agent/api-rerun", new Dictionary<string, string?>
            {
                ["src/app.js"] = TestRepository.TenLinesWith((3, "schema's line 3"), (4, "schema's line 4"), (5, "api's line 5")),
            }, "api, again");
            return ValueTask.FromResult<WorkspaceCommit?>(new WorkspaceCommit { CommitId = resolvedCommit, Branch = "agent/api-rerun", ChangedFiles = ["src/app.js"] });
        });

        ConflictResolution resolution = await new RerunAgentResolver().ResolveAsync(context, TestContext.Current.CancellationToken);

        Assert.True(resolution.IsResolved);
        Assert.Equal(resolvedCommit, resolution.CommitId);
        Assert.Contains("Re-ran task 'api' on main", resolution.Reason, StringComparison.Ordinal);
        string sent = Assert.Single(calls);
        Assert.StartsWith("Build the thing.\n\n## Merge conflict: redo this task on the current main", sent, StringComparison.Ordinal);
        Assert.Contains($"fresh copy of main at commit {context.OursCommit[..10]}", sent, StringComparison.Ordinal);
        Assert.Contains("### Conflicted files (2)", sent, StringComparison.Ordinal);
        Assert.Contains("#### src/app.js (content)\nConflicting lines: 3-4 on main; 3-4 in your earlier work (agent/api).\nChanged on main by task 'schema'.", sent, StringComparison.Ordinal);
        Assert.Contains("```diff\n@@ -3,2 +3,2 @@\n-line 3\n-line 4\n+schema's line 3\n+schema's line 4\n```", sent, StringComparison.Ordinal);
        Assert.Contains("#### README.md (content)\nConflicting lines: 9 on main; 9 in your earlier work (agent/api).", sent, StringComparison.Ordinal);
        Assert.Contains("@@ -9,1 +9,1 @@\n-line 9\n+schema's line 9\n", sent, StringComparison.Ordinal);
        Assert.DoesNotContain("{", sent, StringComparison.Ordinal);
        // The resolution carries the task's work and merges cleanly into main.
        _repo.Git("merge-tree", "--write-tree", context.OursCommit, resolvedCommit!);
    }

    [Fact]
    public async Task ResolveAsync_NoRerunHook_NotResolvedSayingWhy()
    {
        ConflictContext context = ConflictContexts.Create(_repo, "api");

        ConflictResolution resolution = await new RerunAgentResolver().ResolveAsync(context, TestContext.Current.CancellationToken);

        Assert.False(resolution.IsResolved);
        Assert.Contains("RerunAgentAsync is null", resolution.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_AgentCommitsNothing_NotResolved()
    {
        int calls = 0;
        ConflictContext context = ConflictContexts.Create(_repo, "api", rerun: (_, _) =>
        {
            calls++;
            return ValueTask.FromResult<WorkspaceCommit?>(null);
        });

        ConflictResolution resolution = await new RerunAgentResolver().ResolveAsync(context, TestContext.Current.CancellationToken);

        Assert.False(resolution.IsResolved);
        Assert.Equal(1, calls);
        Assert.Contains("failed or committed nothing", resolution.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_AgentThrows_NotResolvedWithTheError()
    {
        ConflictContext context = ConflictContexts.Create(_repo, "api", rerun: (_, _) => throw new InvalidOperationException("model quota exhausted"));

        ConflictResolution resolution = await new RerunAgentResolver().ResolveAsync(context, TestContext.Current.CancellationToken);

        Assert.False(resolution.IsResolved);
        Assert.Contains("model quota exhausted", resolution.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_LimitsAndCustomTemplate_CutsAndListsTheRest()
    {
        _repo.Commit("main", new Dictionary<string, string?>
        {
            ["src/app.js"] = TestRepository.TenLinesWith((3, new string('x', 500)), (4, new string('y', 500))),
        }, "long lines");
        string? sent = null;
        ConflictContext context = ConflictContexts.Create(_repo, "api", instructions: "Say {conflicts} literally.", rerun: (instructions, _) =>
        {
            sent = instructions;
            return ValueTask.FromResult<WorkspaceCommit?>(null);
        });
        var resolver = new RerunAgentResolver(new RerunAgentResolverOptions
        {
            MaxFiles = 1,
            MaxChangeCharactersPerFile = 600,
            InstructionsTemplate = "Task {task_id} on {branch} vs {main_branch}: {instructions}\n{conflicts}",
        });

        await resolver.ResolveAsync(context, TestContext.Current.CancellationToken);

        Assert.NotNull(sent);
        Assert.StartsWith("Task api on agent/api vs main: Say {conflicts} literally.\n### Conflicted files (2)", sent, StringComparison.Ordinal);
        Assert.Contains("#### README.md (content)", sent, StringComparison.Ordinal);
        Assert.DoesNotContain("#### src/app.js", sent, StringComparison.Ordinal);
        Assert.Contains("Also conflicted, not shown here: src/app.js.", sent, StringComparison.Ordinal);

        string? cut = null;
        ConflictContext appOnly = ConflictContexts.Create(_repo, "api", rerun: (instructions, _) =>
        {
            cut = instructions;
            return ValueTask.FromResult<WorkspaceCommit?>(null);
        });
        await new RerunAgentResolver(new RerunAgentResolverOptions { MaxChangeCharactersPerFile = 600 }).ResolveAsync(appOnly, TestContext.Current.CancellationToken);
        Assert.Contains("+" + new string('x', 500) + "\n", cut, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('y', 500), cut, StringComparison.Ordinal);
        Assert.Contains("more characters not shown: read src/app.js on main)", cut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_MainDeletedTheFile_SaysSo()
    {
        _repo.Commit("main", new Dictionary<string, string?> { ["src/app.js"] = null }, "app.js removed");
        string? sent = null;
        ConflictContext context = ConflictContexts.Create(_repo, "api", rerun: (instructions, _) =>
        {
            sent = instructions;
            return ValueTask.FromResult<WorkspaceCommit?>(null);
        });

        await new RerunAgentResolver().ResolveAsync(context, TestContext.Current.CancellationToken);

        Assert.Contains("#### src/app.js (delete/modify)\nConflicting lines: none on main (the file is missing or binary there); 1-10 in your earlier work (agent/api).\nmain deleted this file.", sent, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_TemplateWithoutConflicts_Throws()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new RerunAgentResolver(new RerunAgentResolverOptions { InstructionsTemplate = "{instructions}" }));
        Assert.Contains("{conflicts}", e.Message, StringComparison.Ordinal);
    }
}
