using LibGit2Sharp;

namespace ParallelAgents.Sdk.Tests.Merging;

public sealed class MainCheckoutsTests
{
    [Fact]
    public void Update_FileChangedAfterTheCheck_WritesNothingAndSaysWhy()
    {
        // The user edits a file the merge changes between FindObstacle and Update: the safe checkout must refuse as a
        // whole, not overwrite the edit and not apply the rest of the merge either.
        using var repo = MergeTestRepository.Create(new Dictionary<string, string> { ["a.txt"] = "a\n", ["b.txt"] = "b\n" });
        string from = repo.Head();
        string to = repo.OnBranch("next", "main", r =>
        {
            r.Write("a.txt", "a from the merge\n");
            r.Write("c.txt", "c from the merge\n");
        });
        using var git = new Repository(repo.Root);
        Commit fromCommit = git.Lookup<Commit>(from), toCommit = git.Lookup<Commit>(to);
        Assert.Null(MainCheckouts.FindObstacle(repo.Root, fromCommit, toCommit));
        repo.Write("a.txt", "the user's edit\n");
        Dictionary<string, byte[]> before = repo.Snapshot();

        string? reason = MainCheckouts.Update(repo.Root, fromCommit, toCommit);

        Assert.NotNull(reason);
        Dictionary<string, byte[]> after = repo.Snapshot();
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        Assert.All(before, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(after[kv.Key]), kv.Key));
        repo.AssertFsckClean();
    }

    [Fact]
    public void FindObstacle_IgnoredFileWhereTheMergeAddsOne_IsAnObstacle()
    {
        using var repo = MergeTestRepository.Create(new Dictionary<string, string> { ["a.txt"] = "a\n" });
        string from = repo.Head();
        string to = repo.OnBranch("next", "main", r => r.Write("build/out.txt", "tracked by the merge\n"));
        File.WriteAllText(Path.Combine(repo.Root, ".git", "info", "exclude"), "build/\n");
        repo.Write("build/out.txt", "the user's ignored build output\n");
        using var git = new Repository(repo.Root);

        string? obstacle = MainCheckouts.FindObstacle(repo.Root, git.Lookup<Commit>(from), git.Lookup<Commit>(to));

        Assert.Contains("build/out.txt", obstacle, StringComparison.Ordinal);
    }
}
