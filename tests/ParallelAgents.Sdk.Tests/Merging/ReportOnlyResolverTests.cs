using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Merging;

public sealed class ReportOnlyResolverTests : IDisposable
{
    private readonly TestRepository _repo = TestRepository.Create(
        new Dictionary<string, string?>
        {
            ["src/app.js"] = TestRepository.TenLines,
            ["docs/user guide.md"] = TestRepository.TenLines,
            ["old.txt"] = TestRepository.TenLines,
        },
        mainBranch: "trunk");

    public ReportOnlyResolverTests()
    {
        _repo.CreateBranch("agent/api", "trunk");
        _repo.Commit("agent/api", new Dictionary<string, string?>
        {
            ["src/app.js"] = TestRepository.TenLinesWith((2, "api 2"), (8, "api 8")),
            ["docs/user guide.md"] = TestRepository.TenLinesWith((5, "api 5")),
            ["old.txt"] = null,
        }, "api");
        _repo.Commit("trunk", new Dictionary<string, string?>
        {
            ["src/app.js"] = "line 1\nmain 2a\nmain 2b\nline 3\nline 4\nline 5\nline 6\nline 7\nmain 8\nline 9\nline 10\n",
            ["docs/user guide.md"] = TestRepository.TenLinesWith((5, "main 5")),
            ["old.txt"] = TestRepository.TenLinesWith((1, "main 1")),
        }, "main moves");
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task ResolveAsync_Conflicts_NotResolvedWithEachFileItsLinesAndTheRealCommands()
    {
        ConflictContext context = ConflictContexts.Create(_repo, "api", mainBranch: "trunk", otherTaskId: "schema");

        ConflictResolution resolution = await new ReportOnlyResolver().ResolveAsync(context, TestContext.Current.CancellationToken);

        Assert.False(resolution.IsResolved);
        Assert.Equal(
            """
            Task 'api' (branch agent/api) conflicts with trunk in 3 files:
              docs/user guide.md (content): trunk lines 5; agent/api lines 5 (trunk's side from task 'schema')
              old.txt (modify/delete): trunk lines 1-10; deleted on agent/api (trunk's side from task 'schema')
              src/app.js (content): trunk lines 2-3, 9; agent/api lines 2, 8 (trunk's side from task 'schema')
            To finish by hand (where the branch is not checked out in another worktree):
              git checkout agent/api
              git merge trunk
              # fix the conflict markers in each file above (git rm a file you mean to delete), then
              git add 'docs/user guide.md' old.txt src/app.js
              git commit --no-edit
              git checkout trunk
              git merge agent/api
            """.ReplaceLineEndings("\n"),
            resolution.Reason);
    }

    [Fact]
    public void FormatReport_CommandsRunInTheRepository_GitSeesExactlyTheReportedFiles()
    {
        ConflictContext context = ConflictContexts.Create(_repo, "api", mainBranch: "trunk");
        string report = ReportOnlyResolver.FormatReport(context.Task.Id, context.Branch, context.MainBranch, context.Conflicts);
        string[] commands = [.. report.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("git ", StringComparison.Ordinal))];

        _repo.Git("checkout", "-q", "agent/api");
        Assert.Equal("git checkout agent/api", commands[0]);
        Assert.Equal("git merge trunk", commands[1]);
        Assert.Throws<InvalidOperationException>(() => _repo.Git("merge", "trunk"));

        string unmerged = _repo.Git("diff", "--name-only", "--diff-filter=U");
        Assert.Equal(context.Conflicts.Select(c => c.Path), unmerged.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
