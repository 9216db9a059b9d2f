using System.Diagnostics;
using System.Text;
using LibGit2Sharp;

namespace ParallelAgents.Sdk.Tests.Merging;

/// <summary>
/// The merge engine against the git CLI: on generated scenarios (random line edits, adds, deletes and renames on two
/// branches from one base), the engine's verdict (clean or conflict) and, when clean, its merged tree must equal those
/// of <c>git merge-tree --write-tree</c>.
/// </summary>
public sealed class MergeOracleTests
{
    private const int Scenarios = 240;

    private static readonly string[] Words =
    [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike",
        "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee",
        "zulu", "red", "green", "blue", "amber", "cyan", "black", "white", "north", "south", "east", "west", "up", "down",
    ];

    private static readonly string[] Names =
    [
        "a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "src/main.txt", "src/util.txt", "src/io.txt", "docs/guide.txt",
        "docs/notes.txt", "lib/core.txt", "lib/extra.txt",
    ];

    [Fact]
    public async Task MergeAsync_GeneratedScenarios_AgreeWithGitMergeTree()
    {
        using var repo = MergeTestRepository.Create();
        var disagreements = new List<string>();
        int clean = 0, conflicted = 0, fastPath = 0;
        using (var git = new Repository(repo.Root))
        {
            for (int i = 0; i < Scenarios; i++)
            {
                var random = new Random(20261130 + i);
                Dictionary<string, List<string>> baseFiles = RandomFiles(random);
                Dictionary<string, List<string>> ours = Mutate(baseFiles, random);
                Dictionary<string, List<string>> theirs = Mutate(baseFiles, random);
                Commit baseCommit = Write(git, baseFiles, $"base {i}", []);
                Commit oursCommit = Write(git, ours, $"ours {i}", [baseCommit]);
                Commit theirsCommit = Write(git, theirs, $"theirs {i}", [baseCommit]);
                git.Refs.Add($"refs/heads/main-{i}", oursCommit.Id);
                git.Refs.Add($"refs/heads/agent/s{i}", theirsCommit.Id);

                if (TreeMerge.TryMerge(git, baseCommit, oursCommit, theirsCommit) is not null)
                {
                    fastPath++;
                }

                (int exit, string output, _) = repo.TryGit("merge-tree", "--write-tree", $"main-{i}", $"agent/s{i}");
                Assert.True(exit is 0 or 1, $"scenario {i}: git merge-tree failed: {output}");
                bool gitClean = exit == 0;
                string gitTree = output.Split('\n')[0];

                await using var merger = new BranchMerger(new MergeOptions { RepositoryPath = repo.Root, MainBranch = $"main-{i}", ReportsDirectory = null });
                MergeResult result = await merger.MergeAsync(
                    new MergeRequest { RunId = "oracle", Task = new AgentTask { Id = $"s{i}", Instructions = "-" }, Branch = $"agent/s{i}" },
                    TestContext.Current.CancellationToken);

                bool engineClean = result.Status == MergeStatus.Merged;
                Assert.True(result.Status is MergeStatus.Merged or MergeStatus.Conflict, $"scenario {i}: {result}");
                if (engineClean != gitClean)
                {
                    disagreements.Add($"scenario {i}: git says {(gitClean ? "clean" : "conflict")}, the engine {result}\n{output}\n{Sides(repo, baseCommit, oursCommit, theirsCommit)}");
                    continue;
                }

                if (gitClean)
                {
                    clean++;
                    string engineTree = git.Lookup<Commit>(result.MergedCommit).Tree.Sha;
                    if (engineTree != gitTree)
                    {
                        disagreements.Add($"scenario {i}: trees differ: git {gitTree}, engine {engineTree}:\n{repo.Git("diff", "--name-status", gitTree, engineTree)}\n{Sides(repo, baseCommit, oursCommit, theirsCommit)}");
                    }
                }
                else
                {
                    conflicted++;
                    Assert.Equal(oursCommit.Sha, repo.RevParse($"main-{i}"));
                    Assert.NotEmpty(result.Conflicts);
                }
            }
        }

        Assert.True(disagreements.Count == 0, $"{disagreements.Count} of {Scenarios} scenarios disagree:\n{string.Join('\n', disagreements)}");

        // Both verdicts must be well represented, or the test proves little.
        Assert.True(clean >= Scenarios / 5 && conflicted >= Scenarios / 5, $"clean {clean}, conflicted {conflicted}");

        // Both the fast tree merge and libgit2's full merge must be exercised.
        Assert.True(fastPath >= Scenarios / 10 && clean - fastPath >= Scenarios / 10, $"fast path {fastPath} of {clean} clean merges");
        repo.AssertFsckClean();
    }

    private static string Sides(MergeTestRepository repo, Commit @base, Commit ours, Commit theirs) =>
        $"base..ours:\n{repo.Git("diff", "--name-status", "-M", @base.Sha, ours.Sha)}\nbase..theirs:\n{repo.Git("diff", "--name-status", "-M", @base.Sha, theirs.Sha)}";

    private static string Line(Random random) =>
        $"{Words[random.Next(Words.Length)]} {Words[random.Next(Words.Length)]} {Words[random.Next(Words.Length)]} {random.Next(1000)}";

    private static List<string> RandomLines(Random random, int min, int max) =>
        [.. Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => Line(random))];

    private static Dictionary<string, List<string>> RandomFiles(Random random)
    {
        var files = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        int count = random.Next(3, 8);
        foreach (string name in Names.OrderBy(_ => random.Next()).Take(count))
        {
            files[name] = RandomLines(random, 6, 30);
        }

        return files;
    }

    private static Dictionary<string, List<string>> Mutate(Dictionary<string, List<string>> original, Random random)
    {
        var files = original.ToDictionary(kv => kv.Key, kv => new List<string>(kv.Value), StringComparer.Ordinal);
        int operations = random.Next(1, 5);
        for (int op = 0; op < operations; op++)
        {
            string[] existing = [.. files.Keys.Order(StringComparer.Ordinal)];
            int kind = random.Next(10);
            if (kind < 5 && existing.Length > 0)
            {
                EditLines(files[existing[random.Next(existing.Length)]], random);
            }
            else if (kind < 7)
            {
                string name = Names[random.Next(Names.Length)];
                if (!files.ContainsKey(name))
                {
                    files[name] = RandomLines(random, 3, 15);
                }
            }
            else if (kind < 8 && existing.Length > 1)
            {
                files.Remove(existing[random.Next(existing.Length)]);
            }
            else if (existing.Length > 0)
            {
                string from = existing[random.Next(existing.Length)];
                string to = Names[random.Next(Names.Length)];
                if (!files.ContainsKey(to))
                {
                    List<string> lines = files[from];
                    files.Remove(from);
                    if (random.Next(2) == 0)
                    {
                        // A rename with a small edit stays well above git's 50% similarity.
                        lines[random.Next(lines.Count)] = Line(random);
                    }

                    files[to] = lines;
                }
            }
        }

        return files;
    }

    private static void EditLines(List<string> lines, Random random)
    {
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            int at = random.Next(lines.Count + 1);
            switch (random.Next(3))
            {
                case 0 when at < lines.Count:
                    lines[at] = Line(random);
                    break;
                case 1 when at < lines.Count && lines.Count > 2:
                    lines.RemoveAt(at);
                    break;
                default:
                    lines.Insert(at, Line(random));
                    break;
            }
        }
    }

    private static Commit Write(Repository git, Dictionary<string, List<string>> files, string message, Commit[] parents)
    {
        var tree = new TreeDefinition();
        foreach ((string path, List<string> lines) in files)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));
            using var stream = new MemoryStream(bytes);
            tree.Add(path, git.ObjectDatabase.CreateBlob(stream), Mode.NonExecutableFile);
        }

        var signature = new LibGit2Sharp.Signature("Oracle", "oracle@example.invalid", new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero));
        return git.ObjectDatabase.CreateCommit(signature, signature, message, git.ObjectDatabase.CreateTree(tree), parents, prettifyMessage: false);
    }
}
