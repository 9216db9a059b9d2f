using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Merging;

public sealed class ConflictLinesHunksTests
{
    [Fact]
    public void Hunks_OneLineChangedBothWays_OneHunkOnThatLine()
    {
        IReadOnlyList<ConflictHunk> hunks = ConflictLines.Hunks("a\nb\nc\n", "a\nB1\nc\n", "a\nB2\nc\n");

        ConflictHunk hunk = Assert.Single(hunks);
        Assert.Equal(new LineRange(2, 2), hunk.OursRange);
        Assert.Equal(new LineRange(2, 2), hunk.TheirsRange);
        Assert.Equal(new LineRange(2, 2), hunk.BaseRange);
    }

    [Fact]
    public void Hunks_TwoDistantHunksWithShiftedLines_EachSideNumberedInItsOwnFile()
    {
        string ancestor = Lines(1, 12);
        // Ours turns line 2 into two lines, so its later lines move down by one.
        string ours = ancestor.Replace("l2\n", "o2a\no2b\n", StringComparison.Ordinal).Replace("l10\n", "o10\n", StringComparison.Ordinal);
        string theirs = ancestor.Replace("l2\n", "t2\n", StringComparison.Ordinal).Replace("l10\n", "t10\n", StringComparison.Ordinal);

        IReadOnlyList<ConflictHunk> hunks = ConflictLines.Hunks(ancestor, ours, theirs);

        Assert.Equal(2, hunks.Count);
        Assert.Equal(new LineRange(2, 3), hunks[0].OursRange);
        Assert.Equal(new LineRange(2, 2), hunks[0].TheirsRange);
        Assert.Equal(new LineRange(11, 11), hunks[1].OursRange);
        Assert.Equal(new LineRange(10, 10), hunks[1].TheirsRange);
        Assert.Equal(new LineRange(10, 10), hunks[1].BaseRange);
        Assert.Equal([new LineRange(2, 3), new LineRange(11, 11)], ConflictLines.OursRanges(hunks));
        Assert.Equal([new LineRange(2, 2), new LineRange(10, 10)], ConflictLines.TheirsRanges(hunks));
    }

    [Fact]
    public void Hunks_AddAddWithCommonLines_OnlyTheDifferingLines()
    {
        IReadOnlyList<ConflictHunk> hunks = ConflictLines.Hunks(null, "head\nmine\ntail\n", "head\nyours\nmore\ntail\n");

        ConflictHunk hunk = Assert.Single(hunks);
        Assert.Equal(new LineRange(2, 2), hunk.OursRange);
        Assert.Equal(new LineRange(2, 3), hunk.TheirsRange);
        Assert.Null(hunk.BaseRange);
    }

    [Fact]
    public void Hunks_ModifyDelete_OursLinesAndNoTheirsLines()
    {
        IReadOnlyList<ConflictHunk> hunks = ConflictLines.Hunks("a\nb\n", "a\nB\n", null);

        ConflictHunk hunk = Assert.Single(hunks);
        Assert.Equal(new LineRange(1, 2), hunk.OursRange);
        Assert.Null(hunk.TheirsRange);
        Assert.Equal(0, hunk.TheirsCount);
        Assert.Empty(ConflictLines.TheirsRanges(hunks));
    }

    [Fact]
    public void Hunks_DeleteModify_TheirsLinesAndNoOursLines()
    {
        IReadOnlyList<ConflictHunk> hunks = ConflictLines.Hunks("a\nb\nc\n", null, "a\nb\nC\n");

        ConflictHunk hunk = Assert.Single(hunks);
        Assert.Null(hunk.OursRange);
        Assert.Equal(new LineRange(1, 3), hunk.TheirsRange);
    }

    [Fact]
    public void Hunks_DisjointEdits_NoHunk()
    {
        string ancestor = Lines(1, 10);
        string ours = ancestor.Replace("l2\n", "o2\n", StringComparison.Ordinal);
        string theirs = ancestor.Replace("l8\n", "t8\n", StringComparison.Ordinal);

        Assert.Empty(ConflictLines.Hunks(ancestor, ours, theirs));
    }

    [Fact]
    public void Hunks_SameChangeOnBothSides_NoHunk()
    {
        Assert.Empty(ConflictLines.Hunks("a\nb\nc\n", "a\nX\nc\n", "a\nX\nc\n"));
    }

    [Fact]
    public void Hunks_AdjacentLinesChanged_ConflictAsGitDoes()
    {
        IReadOnlyList<ConflictHunk> hunks = ConflictLines.Hunks("a\nb\nc\nd\n", "a\nB\nc\nd\n", "a\nb\nC\nd\n");

        ConflictHunk hunk = Assert.Single(hunks);
        Assert.Equal(new LineRange(2, 3), hunk.OursRange);
        Assert.Equal(new LineRange(2, 3), hunk.TheirsRange);
    }

    [Fact]
    public void Hunks_InsertionsAtTheSamePlace_Conflict()
    {
        IReadOnlyList<ConflictHunk> hunks = ConflictLines.Hunks("a\nb\n", "a\nmine\nb\n", "a\nyours\nb\n");

        ConflictHunk hunk = Assert.Single(hunks);
        Assert.Equal(new LineRange(2, 2), hunk.OursRange);
        Assert.Equal(new LineRange(2, 2), hunk.TheirsRange);
        Assert.Null(hunk.BaseRange);
        Assert.Equal(2, hunk.BaseStart);
    }

    [Fact]
    public void Hunks_ConflictsThreeLinesApart_JoinedAsGitShowsThem()
    {
        string ancestor = Lines(1, 10);
        string ours = ancestor.Replace("l2\n", "o2\n", StringComparison.Ordinal).Replace("l6\n", "o6\n", StringComparison.Ordinal);
        string theirs = ancestor.Replace("l2\n", "t2\n", StringComparison.Ordinal).Replace("l6\n", "t6\n", StringComparison.Ordinal);

        ConflictHunk hunk = Assert.Single(ConflictLines.Hunks(ancestor, ours, theirs));
        Assert.Equal(new LineRange(2, 6), hunk.OursRange);
        Assert.Equal(new LineRange(2, 6), hunk.TheirsRange);
    }

    [Fact]
    public void Hunks_ConflictRegionWithCommonLineInside_SplitLikeGit()
    {
        // Both sides rewrite lines 2-6 but keep line 4 the same, and the parts differ: git splits only when more than
        // three lines separate the parts, so this stays one; with a long common middle it splits.
        string ancestor = Lines(1, 12);
        string ours = "l1\nx\nsame1\nsame2\nsame3\nsame4\nx\nl9\nl10\nl11\nl12\n";
        string theirs = "l1\ny\nsame1\nsame2\nsame3\nsame4\ny\nl9\nl10\nl11\nl12\n";

        IReadOnlyList<ConflictHunk> hunks = ConflictLines.Hunks(ancestor, ours, theirs);

        Assert.Equal(2, hunks.Count);
        Assert.Equal(new LineRange(2, 2), hunks[0].OursRange);
        Assert.Equal(new LineRange(7, 7), hunks[1].OursRange);
        Assert.Equal(new LineRange(7, 7), hunks[1].TheirsRange);
    }

    [Fact]
    public void Hunks_LastLineWithoutNewline_DiffersFromOneWith()
    {
        Assert.Single(ConflictLines.Hunks("a\nb\n", "a\nb", "a\nb\nc\n"));
    }

    public static TheoryData<string, string, string> GitCases => new()
    {
        { Lines(1, 20), Edit(Lines(1, 20), ("l3", "o3"), ("l15", "o15a\no15b")), Edit(Lines(1, 20), ("l3", "t3"), ("l16", "t16")) },
        { Lines(1, 20), Edit(Lines(1, 20), ("l3", "o3"), ("l9", "o9")), Edit(Lines(1, 20), ("l3", "t3"), ("l9", "t9")) },
        { Lines(1, 20), Edit(Lines(1, 20), ("l3", "o3"), ("l5", "")), Edit(Lines(1, 20), ("l4", "t4"), ("l12", "t12")) },
        { Lines(1, 30), Edit(Lines(1, 30), ("l2", "x"), ("l10", "x"), ("l20", "x")), Edit(Lines(1, 30), ("l2", "y"), ("l11", "y"), ("l20", "y")) },
        { Lines(1, 8), Edit(Lines(1, 8), ("l1", "a\nb\nc")), Edit(Lines(1, 8), ("l1", "a\nB\nc")) },
    };

    [Theory]
    [MemberData(nameof(GitCases))]
    public void Hunks_AgainstGitMergeFile_SameNumberOfConflicts(string ancestor, string ours, string theirs)
    {
        // git merge-file exits with the number of conflicts. Its default level also joins conflicts separated only
        // by lines without letters or digits, which git merge does not; every line of these cases has some.
        (int exitCode, string output) = GitMergeFile.Run(ancestor, ours, theirs);

        int markers = output.Split('\n').Count(l => l.StartsWith("<<<<<<<", StringComparison.Ordinal));
        Assert.Equal(exitCode, markers);
        Assert.Equal(markers, ConflictLines.Hunks(ancestor, ours, theirs).Count);
    }

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 40)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Hunks_RandomEdits_SameHunksAsGitsConflictMarkers(int seed)
    {
        // Every line is unique (or a deliberate identical change on both sides), so the alignment is not ambiguous and
        // git's hunks must match line for line; every line has letters and digits, so git merge-file's default level
        // behaves as git merge's.
        var random = new Random(seed);
        string[] ancestor = [.. Enumerable.Range(1, 30).Select(i => $"base{i}")];
        string ours = RandomEdit(ancestor, random, "ours", seed);
        string theirs = RandomEdit(ancestor, random, "theirs", seed);
        string ancestorText = string.Concat(ancestor.Select(l => l + "\n"));

        List<(string Ours, string Theirs)> expected = GitConflictSections(ancestorText, ours, theirs);
        IReadOnlyList<ConflictHunk> hunks = ConflictLines.Hunks(ancestorText, ours, theirs);

        string[] oursLines = ConflictLines.SplitLines(ours), theirsLines = ConflictLines.SplitLines(theirs);
        Assert.Equal(expected, hunks.Select(h => (
            string.Concat(oursLines.Skip(h.OursStart - 1).Take(h.OursCount)),
            string.Concat(theirsLines.Skip(h.TheirsStart - 1).Take(h.TheirsCount)))));
    }

    private static string RandomEdit(string[] ancestor, Random random, string side, int seed)
    {
        var lines = new List<string>();
        for (int i = 0; i < ancestor.Length; i++)
        {
            switch (random.Next(8))
            {
                case 0:
                    lines.Add($"{side}{i}x");
                    break;
                case 1:
                    break;
                case 2:
                    lines.Add($"{side}{i}ins");
                    lines.Add(ancestor[i]);
                    break;
                case 3:
                    // The same change on both sides when both draw it for this line.
                    lines.Add($"both{seed}-{i}");
                    break;
                default:
                    lines.Add(ancestor[i]);
                    break;
            }
        }

        return string.Concat(lines.Select(l => l + "\n"));
    }

    /// <summary>The ours and theirs sections of each conflict git merge-file writes.</summary>
    private static List<(string Ours, string Theirs)> GitConflictSections(string ancestor, string ours, string theirs)
    {
        (int exitCode, string output) = GitMergeFile.Run(ancestor, ours, theirs);

        var sections = new List<(string, string)>();
        string? oursPart = null, current = null;
        foreach (string line in ConflictLines.SplitLines(output))
        {
            if (line.StartsWith("<<<<<<<", StringComparison.Ordinal))
            {
                current = "";
            }
            else if (line.StartsWith("=======", StringComparison.Ordinal) && current is not null)
            {
                oursPart = current;
                current = "";
            }
            else if (line.StartsWith(">>>>>>>", StringComparison.Ordinal) && oursPart is not null)
            {
                sections.Add((oursPart, current!));
                oursPart = current = null;
            }
            else if (current is not null)
            {
                current += line;
            }
        }

        Assert.Equal(exitCode, sections.Count);
        return sections;
    }

    private static string Lines(int from, int to) => string.Concat(Enumerable.Range(from, to - from + 1).Select(i => $"l{i}\n"));

    private static string Edit(string text, params (string Line, string Replacement)[] edits)
    {
        foreach ((string line, string replacement) in edits)
        {
            text = text.Replace(line + "\n", replacement.Length == 0 ? "" : replacement + "\n", StringComparison.Ordinal);
        }

        return text;
    }
}
