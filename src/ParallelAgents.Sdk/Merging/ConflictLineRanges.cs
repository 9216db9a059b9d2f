namespace ParallelAgents.Sdk;

/// <summary>
/// Finds the conflicting hunks of a three-way merge of one text file from its three versions (a line-based diff3),
/// so that reports, resolvers and forecasts can name the exact lines of each side.
/// </summary>
/// <remarks>
/// It follows git's rules: each side is diffed against the ancestor; changes of both sides that overlap, or touch
/// with no unchanged ancestor line between them, conflict; a region both sides changed identically does not; and a
/// conflicting region is narrowed to the lines where the two sides still differ (git's "zealous" level), which may
/// split it into several hunks. Lines keep their terminator, so a last line without a newline differs from one with.
/// </remarks>
internal static class ConflictLineRanges
{
    /// <summary>The conflicting hunks, in file order.</summary>
    /// <param name="ancestor">The merge base's text, or <see langword="null"/> when the file did not exist there (add/add).</param>
    /// <param name="ours">The ours side's text, or <see langword="null"/> when that side deleted the file.</param>
    /// <param name="theirs">The theirs side's text, or <see langword="null"/> when that side deleted the file.</param>
    public static IReadOnlyList<ConflictHunk> Compute(string? ancestor, string? ours, string? theirs)
    {
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        int[] baseLines = Number(SplitLines(ancestor), numbers);
        int[] oursLines = Number(SplitLines(ours), numbers);
        int[] theirsLines = Number(SplitLines(theirs), numbers);

        List<LineEdit> oursEdits = LineDiff.Compute(baseLines, oursLines);
        List<LineEdit> theirsEdits = LineDiff.Compute(baseLines, theirsLines);
        var hunks = new List<ConflictHunk>();

        int i = 0, j = 0;
        // git joins two conflicts that only three or fewer unchanged lines separate (xdl_simplify_non_conflicts at the
        // zealous level), unless a one-sided change stands between them.
        bool changeSinceLastHunk = true;
        // How far each side's line numbers have moved from the ancestor's, by the edits before the current region.
        int oursShift = 0, theirsShift = 0;
        while (i < oursEdits.Count || j < theirsEdits.Count)
        {
            bool takeOurs = j >= theirsEdits.Count || (i < oursEdits.Count && oursEdits[i].AStart <= theirsEdits[j].AStart);
            LineEdit first = takeOurs ? oursEdits[i] : theirsEdits[j];
            int low = first.AStart, high = first.AStart + first.ACount;
            int oursShiftBefore = oursShift, theirsShiftBefore = theirsShift;
            bool hasOurs = false, hasTheirs = false;

            // git's rule (xdl_merge): changes conflict unless one ends strictly before the other starts, so an edit that
            // starts exactly where the region ends joins it.
            bool grew = true;
            while (grew)
            {
                grew = false;
                while (i < oursEdits.Count && oursEdits[i].AStart <= high && (hasOurs || hasTheirs || takeOurs))
                {
                    LineEdit e = oursEdits[i++];
                    high = Math.Max(high, e.AStart + e.ACount);
                    oursShift += e.BCount - e.ACount;
                    hasOurs = grew = true;
                }

                while (j < theirsEdits.Count && theirsEdits[j].AStart <= high && (hasOurs || hasTheirs || !takeOurs))
                {
                    LineEdit e = theirsEdits[j++];
                    high = Math.Max(high, e.AStart + e.ACount);
                    theirsShift += e.BCount - e.ACount;
                    hasTheirs = grew = true;
                }
            }

            if (!hasOurs || !hasTheirs)
            {
                changeSinceLastHunk = true;
                continue;
            }

            int oursStart = low + oursShiftBefore, oursEnd = high + oursShift;
            int theirsStart = low + theirsShiftBefore, theirsEnd = high + theirsShift;
            List<LineEdit> differences = LineDiff.Compute(oursLines.AsSpan(oursStart, oursEnd - oursStart), theirsLines.AsSpan(theirsStart, theirsEnd - theirsStart));
            foreach (LineEdit d in differences)
            {
                var hunk = new ConflictHunk(low + 1, high - low, oursStart + d.AStart + 1, d.ACount, theirsStart + d.BStart + 1, d.BCount);
                if (!changeSinceLastHunk && hunk.OursStart - (hunks[^1].OursStart + hunks[^1].OursCount) <= JoinDistance)
                {
                    hunk = Join(hunks[^1], hunk);
                    hunks.RemoveAt(hunks.Count - 1);
                }

                hunks.Add(hunk);
                changeSinceLastHunk = false;
            }
        }

        return hunks;
    }

    /// <summary>The most unchanged lines between two conflicts that git still shows as one.</summary>
    private const int JoinDistance = 3;

    private static ConflictHunk Join(ConflictHunk a, ConflictHunk b)
    {
        int baseEnd = Math.Max(a.BaseStart + a.BaseCount, b.BaseStart + b.BaseCount);
        return new ConflictHunk(
            a.BaseStart, baseEnd - a.BaseStart,
            a.OursStart, b.OursStart + b.OursCount - a.OursStart,
            a.TheirsStart, b.TheirsStart + b.TheirsCount - a.TheirsStart);
    }

    /// <summary>The ours side's conflicting lines, as <see cref="MergeConflict.OursLines"/> holds them.</summary>
    public static IReadOnlyList<LineRange> OursRanges(IReadOnlyList<ConflictHunk> hunks) =>
        [.. hunks.Where(h => h.OursRange is not null).Select(h => h.OursRange!.Value)];

    /// <summary>The theirs side's conflicting lines, as <see cref="MergeConflict.TheirsLines"/> holds them.</summary>
    public static IReadOnlyList<LineRange> TheirsRanges(IReadOnlyList<ConflictHunk> hunks) =>
        [.. hunks.Where(h => h.TheirsRange is not null).Select(h => h.TheirsRange!.Value)];

    /// <summary>The line diff of two versions of a file, with their lines, for showing what one side changed.</summary>
    internal static (string[] Old, string[] New, List<LineEdit> Edits) Diff(string? oldText, string? newText)
    {
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] oldLines = SplitLines(oldText), newLines = SplitLines(newText);
        return (oldLines, newLines, LineDiff.Compute(Number(oldLines, numbers), Number(newLines, numbers)));
    }

    /// <summary>Splits text into lines, each with its <c>\n</c> (the last may have none); none for null or empty text.</summary>
    internal static string[] SplitLines(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var lines = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            int end = text.IndexOf('\n', start);
            end = end < 0 ? text.Length : end + 1;
            lines.Add(text[start..end]);
            start = end;
        }

        return [.. lines];
    }

    private static int[] Number(string[] lines, Dictionary<string, int> numbers)
    {
        var result = new int[lines.Length];
        for (int k = 0; k < lines.Length; k++)
        {
            if (!numbers.TryGetValue(lines[k], out int n))
            {
                n = numbers.Count;
                numbers.Add(lines[k], n);
            }

            result[k] = n;
        }

        return result;
    }
}
