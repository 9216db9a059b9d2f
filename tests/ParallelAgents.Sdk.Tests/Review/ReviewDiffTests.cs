using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Review;

/// <summary>The diff a reviewer is shown, checked against git's own.</summary>
public class ReviewDiffTests
{
    [Fact]
    public void Compute_BranchAddsModifiesRenamesAndDeletes_MatchesGitNumstat()
    {
        using var repo = new GitRepository(
            ("README.md", "# demo\n"),
            ("src/old.txt", string.Concat(Enumerable.Range(1, 20).Select(i => $"line {i}\n"))),
            ("gone.txt", "bye\n"));
        repo.Git("checkout", "-q", "-b", "agent/x");
        repo.Write("README.md", "# demo\n\nmore\n");
        repo.Git("mv", "src/old.txt", "src/new.txt");
        File.Delete(Path.Combine(repo.Path, "gone.txt"));
        repo.Write("config/app.env", "NAME=shop\nPORT=8080\nOPENAI_API_KEY=sk-4fG7hK2mN9pQ1rS5tV8wX3yZ6aB0cD\n");
        string head = repo.Commit("work");
        repo.Git("checkout", "-q", "main");
        repo.Write("main-only.txt", "main moved on\n");
        repo.Commit("main moves");

        ReviewDiff diff = ReviewDiff.Compute(repo.Path, "main", "agent/x", 1_000_000);

        Assert.Equal(head, diff.HeadCommit);
        Assert.Equal(repo.Git("merge-base", "main", "agent/x").Trim(), diff.BaseCommit);
        // git diff --numstat -M main...agent/x: added, deleted, path ("old => new" for renames).
        var expected = repo.Git("diff", "--numstat", "-M", "main...agent/x").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Select(p => (Path: p[2].Contains(" => ", StringComparison.Ordinal) ? NewPath(p[2]) : p[2], Added: int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), Deleted: int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(expected, diff.Files.Select(f => (f.Path, Added: f.LinesAdded, Deleted: f.LinesDeleted)).ToList());
        Assert.Equal("renamed", diff.Files.Single(f => f.Path == "src/new.txt").Kind);
        Assert.Equal("src/old.txt", diff.Files.Single(f => f.Path == "src/new.txt").OldPath);
        Assert.Equal("deleted", diff.Files.Single(f => f.Path == "gone.txt").Kind);
        Assert.Equal("added", diff.Files.Single(f => f.Path == "config/app.env").Kind);
        Assert.DoesNotContain(diff.Files, f => f.Path == "main-only.txt");
        Assert.Contains("+more", diff.Text, StringComparison.Ordinal);
        Assert.Contains("diff --git a/config/app.env b/config/app.env", diff.Text, StringComparison.Ordinal);
        Assert.Equal(["config/app.env:3"], diff.SuspectedSecrets);
        Assert.False(diff.Truncated);
    }

    [Fact]
    public void Compute_DiffLongerThanTheLimit_IsCutAtALineAndSaysSo()
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        repo.Git("checkout", "-q", "-b", "agent/big");
        repo.Write("big.txt", string.Concat(Enumerable.Range(1, 2_000).Select(i => $"line number {i}\n")));
        repo.Commit("big");
        repo.Git("checkout", "-q", "main");

        ReviewDiff diff = ReviewDiff.Compute(repo.Path, "main", "agent/big", 5_000);

        Assert.True(diff.Truncated);
        Assert.True(diff.Text.Length < 5_200, diff.Text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        string[] lines = diff.Text.TrimEnd('\n').Split('\n');
        Assert.StartsWith("... the diff is cut here at 5,000 of ", lines[^1], StringComparison.Ordinal);
        Assert.Matches(@"^\+line number \d+$", lines[^2]);
        Assert.Equal(2_000, Assert.Single(diff.Files).LinesAdded);
    }

    [Fact]
    public void FindSecrets_HunkLineNumbers_PointAtTheNewSide()
    {
        const string Patch = """
            diff --git a/x.cfg b/x.cfg
            --- a/x.cfg
            +++ b/x.cfg
            @@ -10,3 +10,4 @@ section
             context
            -removed sk-4fG7hK2mN9pQ1rS5tV8wX3yZ6aB0cD
            +token: Zk39Qm2Lw8Xr5Tb1Nc7V
             context
            +max_tokens: 4096
            """;
        var found = new List<string>();

        ReviewDiff.FindSecrets("x.cfg", Patch.ReplaceLineEndings("\n"), found);

        Assert.Equal(["x.cfg:11"], found);
    }

    private static string NewPath(string numstatPath)
    {
        // "src/{old.txt => new.txt}" or "old => new".
        int open = numstatPath.IndexOf('{', StringComparison.Ordinal);
        if (open < 0)
        {
            return numstatPath[(numstatPath.IndexOf(" => ", StringComparison.Ordinal) + 4)..];
        }

        int close = numstatPath.IndexOf('}', StringComparison.Ordinal);
        string inner = numstatPath[(open + 1)..close];
        return numstatPath[..open] + inner[(inner.IndexOf(" => ", StringComparison.Ordinal) + 4)..] + numstatPath[(close + 1)..];
    }
}
