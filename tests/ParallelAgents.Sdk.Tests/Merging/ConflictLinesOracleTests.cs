using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Merging;

/// <summary>The conflicting line ranges against <c>git merge-file</c>: on generated three-way merges of texts whose lines
/// are distinct, the text of each conflict's two sides, taken from the ranges, must equal the two sides git writes between
/// its conflict markers; on texts made of a few repeated lines, whether there is a conflict must agree.</summary>
public sealed class ConflictLinesOracleTests
{
    [Fact]
    public void Find_GeneratedMerges_SameConflictsAsGitMergeFile()
    {
        var disagreements = new List<string>();
        int withConflicts = 0;
        for (int i = 0; i < 600; i++)
        {
            var random = new Random(1000 + i);
            int distinct = (i % 3) switch { 0 => 1000, 1 => 12, _ => 4 };
            List<string> ancestor = [.. Enumerable.Range(0, random.Next(4, 25)).Select(_ => $"line {random.Next(distinct)}")];
            List<string> ours = Edit(ancestor, random);
            List<string> theirs = Edit(ancestor, random);
            string a = Text(ancestor), o = Text(ours), t = Text(theirs);

            List<(string Ours, string Theirs)> expected = GitConflicts(a, o, t);
            List<(string Ours, string Theirs)> actual = [.. ConflictLines.Find(a, o, t).Select(c => (Slice(ours, c.Ours), Slice(theirs, c.Theirs)))];
            if (expected.Count > 0)
            {
                withConflicts++;
            }

            // Texts of a dozen or four distinct lines have many shortest diffs, and xdiff picks among them with
            // heuristics of its own (its divide-and-conquer search, lines unique to one side discarded first); there
            // the ranges follow git's in most cases (594 of 600 when this was written) and the verdict must agree.
            bool agree = distinct == 1000 ? expected.SequenceEqual(actual) : (expected.Count > 0) == (actual.Count > 0);
            if (!agree)
            {
                disagreements.Add($"case {i}: git {Show(expected)}\n  engine {Show(actual)}\n  base {a.Replace('\n', '|')}\n  ours {o.Replace('\n', '|')}\n  theirs {t.Replace('\n', '|')}");
            }
        }

        Assert.True(disagreements.Count == 0, $"{disagreements.Count} cases disagree:\n{string.Join('\n', disagreements)}");
        Assert.True(withConflicts >= 200, $"only {withConflicts} cases had conflicts");
    }

    private static List<string> Edit(List<string> original, Random random)
    {
        var lines = new List<string>(original);

        // Edits cluster in the middle, so that the two sides often meet.
        int edits = random.Next(1, 5);
        for (int e = 0; e < edits; e++)
        {
            int at = Math.Clamp((lines.Count / 2) + random.Next(-4, 5), 0, lines.Count);
            switch (random.Next(3))
            {
                case 0 when at < lines.Count:
                    lines[at] = $"changed {random.Next(1000)}";
                    break;
                case 1 when at < lines.Count:
                    lines.RemoveAt(at);
                    break;
                default:
                    lines.Insert(at, $"added {random.Next(1000)}");
                    break;
            }
        }

        return lines;
    }

    private static string Text(List<string> lines) => string.Concat(lines.Select(l => l + "\n"));

    private static string Slice(List<string> lines, LineRange range) => string.Join("|", lines.Skip(range.Start - 1).Take(range.Count));

    private static string Show(List<(string Ours, string Theirs)> conflicts) => string.Join(" ; ", conflicts.Select(c => $"[{c.Ours}] vs [{c.Theirs}]"));

    private static List<(string, string)> GitConflicts(string ancestor, string ours, string theirs)
    {
        (int exitCode, string output) = GitMergeFile.Run(ancestor, ours, theirs);
        Assert.True(exitCode >= 0, "git merge-file failed");

        var conflicts = new List<(string, string)>();
        List<string>? side = null, first = null;
        foreach (string line in output.Split('\n'))
        {
            if (line.StartsWith("<<<<<<< ", StringComparison.Ordinal))
            {
                side = [];
            }
            else if (line == "=======" && side is not null)
            {
                first = side;
                side = [];
            }
            else if (line.StartsWith(">>>>>>> ", StringComparison.Ordinal) && first is not null && side is not null)
            {
                conflicts.Add((string.Join("|", first), string.Join("|", side)));
                side = first = null;
            }
            else
            {
                side?.Add(line);
            }
        }

        return conflicts;
    }
}
