namespace ParallelAgents.Sdk.Tests.Merging;

public sealed class ConflictLinesTests
{
    private static string Lines(params string[] lines) => string.Concat(lines.Select(l => l + "\n"));

    [Fact]
    public void Find_BothChangeTheSameLine_OneConflictOnThatLine()
    {
        var conflicts = ConflictLines.Find(Lines("a", "b", "c"), Lines("a", "B1", "c"), Lines("a", "B2", "c"));

        Assert.Equal([(new LineRange(2, 2), new LineRange(2, 2))], conflicts);
    }

    [Fact]
    public void Find_SeparateChanges_NoConflict()
    {
        Assert.Empty(ConflictLines.Find(Lines("a", "b", "c", "d", "e"), Lines("A", "b", "c", "d", "e"), Lines("a", "b", "c", "d", "E")));
    }

    [Fact]
    public void Find_SameChangeOnBothSides_NoConflict()
    {
        Assert.Empty(ConflictLines.Find(Lines("a", "b", "c"), Lines("a", "X", "c"), Lines("a", "X", "c")));
    }

    [Fact]
    public void Find_AdjacentChanges_ConflictAsGitDoes()
    {
        // git treats changes to touching lines as one conflict.
        var conflicts = ConflictLines.Find(Lines("a", "b", "c", "d"), Lines("a", "B", "c", "d"), Lines("a", "b", "C", "d"));

        Assert.Equal([(new LineRange(2, 3), new LineRange(2, 3))], conflicts);
    }

    [Fact]
    public void Find_ShiftedByEarlierInsertions_RangesAreInEachSidesOwnLines()
    {
        string ancestor = Lines("1", "2", "3", "4", "5", "6", "7", "8");
        string ours = Lines("new-a", "new-b", "1", "2", "3", "4", "5", "6", "seven-ours", "8");
        string theirs = Lines("1", "2", "3", "4", "5", "6", "seven-theirs", "seven-more", "8");

        var conflicts = ConflictLines.Find(ancestor, ours, theirs);

        Assert.Equal([(new LineRange(9, 9), new LineRange(7, 8))], conflicts);
    }

    [Fact]
    public void Find_CommonEdgesOfAConflict_AreTrimmed()
    {
        string ancestor = Lines("a", "b", "c", "d", "e");
        string ours = Lines("a", "same", "mine", "same2", "e");
        string theirs = Lines("a", "same", "yours", "same2", "e");

        Assert.Equal([(new LineRange(3, 3), new LineRange(3, 3))], ConflictLines.Find(ancestor, ours, theirs));
    }

    [Fact]
    public void Find_OneSideDeletesWhatTheOtherChanges_EmptyRangeAtTheDeletion()
    {
        var conflicts = ConflictLines.Find(Lines("a", "b", "c", "d"), Lines("a", "d"), Lines("a", "B", "C", "d"));

        (LineRange ours, LineRange theirs) = Assert.Single(conflicts);
        Assert.True(ours.IsEmpty);
        Assert.Equal(new LineRange(2, 1), ours);
        Assert.Equal(new LineRange(2, 3), theirs);
        Assert.Equal("none before 2", ours.ToString());
    }

    [Fact]
    public void Find_BothAddDifferentFiles_WholeFilesConflict()
    {
        var conflicts = ConflictLines.Find("", Lines("x", "y"), Lines("z"));

        Assert.Equal([(new LineRange(1, 2), new LineRange(1, 1))], conflicts);
    }

    [Fact]
    public void Find_NoFinalNewline_CountsTheLastLine()
    {
        var conflicts = ConflictLines.Find("a\nb", "a\nB", "a\nbb");

        Assert.Equal([(new LineRange(2, 2), new LineRange(2, 2))], conflicts);
    }

    [Fact]
    public void Diff_RandomTexts_HunksRebuildTheTarget()
    {
        var random = new Random(7);
        for (int round = 0; round < 500; round++)
        {
            int[] a = [.. Enumerable.Range(0, random.Next(0, 30)).Select(_ => random.Next(0, 6))];
            int[] b = [.. Enumerable.Range(0, random.Next(0, 30)).Select(_ => random.Next(0, 6))];
            List<ConflictLines.Hunk> hunks = ConflictLines.Diff(a, b);
            var rebuilt = new List<int>();
            int at = 0;
            foreach (ConflictLines.Hunk h in hunks)
            {
                Assert.True(h.BaseStart >= at);
                Assert.Equal(h.BaseStart - at, h.SideStart - rebuilt.Count);
                rebuilt.AddRange(a[at..h.BaseStart]);
                rebuilt.AddRange(b[h.SideStart..h.SideEnd]);
                at = h.BaseEnd;
            }

            rebuilt.AddRange(a[at..]);
            Assert.Equal(b, rebuilt);
            Assert.Equal(Lcs(a, b), a.Length - hunks.Sum(h => h.BaseEnd - h.BaseStart));
        }
    }

    private static int Lcs(int[] a, int[] b)
    {
        int[,] t = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                t[i, j] = a[i] == b[j] ? t[i + 1, j + 1] + 1 : Math.Max(t[i + 1, j], t[i, j + 1]);
            }
        }

        return t[0, 0];
    }
}
