namespace ParallelAgents.Sdk;

/// <summary>
/// Finds the conflicting line ranges of a three-way text merge (a small diff3): each side is diffed against the
/// ancestor, and changes of the two sides that overlap or touch in the ancestor conflict unless both sides made the
/// same change, which is how git's merge decides. Then, as git's zealous merge (<c>XDL_MERGE_ZEALOUS</c>) does, the
/// two sides of each conflict are diffed against each other and only the lines where they differ remain in conflict,
/// and conflicts with three lines or fewer between them are joined into one.
/// </summary>
internal static class ConflictLines
{
    /// <summary>Past this many differing lines the middle of a diff is reported as one change: the search's trace grows
    /// with the square of the distance, and files that different conflict as a whole anyway.</summary>
    internal const int MaxEditDistance = 2048;

    /// <summary>One change of a side against the ancestor: ancestor lines [BaseStart, BaseEnd) became side lines
    /// [SideStart, SideEnd), 0-based.</summary>
    internal readonly record struct Hunk(int BaseStart, int BaseEnd, int SideStart, int SideEnd);

    /// <summary>The conflicting regions, each as 1-based inclusive ranges of the ours and theirs texts; a side that
    /// deleted the lines the other changed gets an empty range (<c>End == Start - 1</c>) at the place of the deletion.</summary>
    public static List<(LineRange Ours, LineRange Theirs)> Find(string? ancestor, string? ours, string? theirs) =>
        [.. Hunks(ancestor, ours, theirs).Select(h => (new LineRange(h.OursStart, h.OursStart + h.OursCount - 1), new LineRange(h.TheirsStart, h.TheirsStart + h.TheirsCount - 1)))];

    /// <summary>The conflicting hunks, in file order, with where each sits in the ancestor too.</summary>
    /// <param name="ancestor">The merge base's text, or <see langword="null"/> when the file did not exist there (add/add).</param>
    /// <param name="ours">The ours side's text, or <see langword="null"/> when that side deleted the file.</param>
    /// <param name="theirs">The theirs side's text, or <see langword="null"/> when that side deleted the file.</param>
    public static IReadOnlyList<ConflictHunk> Hunks(string? ancestor, string? ours, string? theirs)
    {
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        int[] b = Intern(SplitLines(ancestor), table);
        int[] o = Intern(SplitLines(ours), table);
        int[] t = Intern(SplitLines(theirs), table);
        return Hunks(b, o, t);
    }

    internal static List<ConflictHunk> Hunks(int[] b, int[] o, int[] t)
    {
        List<Hunk> ho = Diff(b, o);
        List<Hunk> ht = Diff(b, t);
        // Every change in order, 0-based [start, end) in the ancestor and each side.
        var items = new List<(Change Kind, int Bs, int Be, int Os, int Oe, int Ts, int Te)>();
        int i = 0, j = 0;
        int deltaO = 0, deltaT = 0;
        while (i < ho.Count || j < ht.Count)
        {
            int start = Math.Min(i < ho.Count ? ho[i].BaseStart : int.MaxValue, j < ht.Count ? ht[j].BaseStart : int.MaxValue);
            int end = start;
            int gi = i, gj = j;
            int groupDeltaO = 0, groupDeltaT = 0;
            bool grew = true;
            while (grew)
            {
                grew = false;
                while (gi < ho.Count && ho[gi].BaseStart <= end)
                {
                    end = Math.Max(end, ho[gi].BaseEnd);
                    groupDeltaO += (ho[gi].SideEnd - ho[gi].SideStart) - (ho[gi].BaseEnd - ho[gi].BaseStart);
                    gi++;
                    grew = true;
                }

                while (gj < ht.Count && ht[gj].BaseStart <= end)
                {
                    end = Math.Max(end, ht[gj].BaseEnd);
                    groupDeltaT += (ht[gj].SideEnd - ht[gj].SideStart) - (ht[gj].BaseEnd - ht[gj].BaseStart);
                    gj++;
                    grew = true;
                }
            }

            int os = start + deltaO, oe = end + deltaO + groupDeltaO;
            int ts = start + deltaT, te = end + deltaT + groupDeltaT;
            if (gi == i || gj == j)
            {
                // One side's change: no conflict.
                items.Add((Change.OneSide, start, end, os, oe, ts, te));
            }
            else if (o.AsSpan(os, oe - os).SequenceEqual(t.AsSpan(ts, te - ts)))
            {
                // The same change on both sides: no conflict.
                items.Add((Change.Same, start, end, os, oe, ts, te));
            }
            else if (os == oe || ts == te)
            {
                // One side is empty: nothing to refine.
                items.Add((Change.Conflict, start, end, os, oe, ts, te));
            }
            else
            {
                // As git's zealous merge does, the two sides of a conflict are diffed against each other and only the
                // lines where they differ stay in conflict, one conflict per difference.
                foreach (Hunk h in Diff(o[os..oe], t[ts..te]))
                {
                    items.Add((Change.Conflict, start, end, os + h.BaseStart, os + h.BaseEnd, ts + h.SideStart, ts + h.SideEnd));
                }
            }

            deltaO += groupDeltaO;
            deltaT += groupDeltaT;
            i = gi;
            j = gj;
        }

        // Then, as git does, two conflicts with at most three lines between them become one, unless a one-sided change
        // stands between them (a change both sides made alike does not keep them apart).
        var result = new List<ConflictHunk>();
        for (int k = 0; k < items.Count; k++)
        {
            if (items[k].Kind != Change.Conflict)
            {
                continue;
            }

            (Change _, int cbs, int cbe, int cos, int coe, int cts, int cte) = items[k];
            while (true)
            {
                int next = k + 1;
                while (next < items.Count && items[next].Kind == Change.Same)
                {
                    next++;
                }

                if (next >= items.Count || items[next].Kind != Change.Conflict || items[next].Os - coe > JoinDistance)
                {
                    break;
                }

                k = next;
                cbe = Math.Max(cbe, items[k].Be);
                coe = items[k].Oe;
                cte = items[k].Te;
            }

            result.Add(new ConflictHunk(cbs + 1, cbe - cbs, cos + 1, coe - cos, cts + 1, cte - cts));
        }

        return result;
    }

    /// <summary>The ours side's conflicting lines, as <see cref="MergeConflict.OursLines"/> holds them: a side with no
    /// lines in a hunk is left out.</summary>
    public static IReadOnlyList<LineRange> OursRanges(IReadOnlyList<ConflictHunk> hunks) =>
        [.. hunks.Where(h => h.OursRange is not null).Select(h => h.OursRange!.Value)];

    /// <summary>The theirs side's conflicting lines, as <see cref="MergeConflict.TheirsLines"/> holds them: a side with no
    /// lines in a hunk is left out.</summary>
    public static IReadOnlyList<LineRange> TheirsRanges(IReadOnlyList<ConflictHunk> hunks) =>
        [.. hunks.Where(h => h.TheirsRange is not null).Select(h => h.TheirsRange!.Value)];

    /// <summary>The most unchanged lines between two conflicts that git still shows as one.</summary>
    private const int JoinDistance = 3;

    private enum Change
    {
        OneSide,
        Same,
        Conflict,
    }

    /// <summary>The line diff of two versions of a file, with their lines (each with its <c>\n</c>), for showing what one
    /// side changed.</summary>
    internal static (string[] Old, string[] New, List<Hunk> Hunks) Diff(string? oldText, string? newText)
    {
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] oldLines = SplitLines(oldText), newLines = SplitLines(newText);
        return (oldLines, newLines, Diff(Intern(oldLines, table), Intern(newLines, table)));
    }

    /// <summary>Splits text into lines, each with its <c>\n</c> (the last may have none), as xdiff compares them: a last
    /// line without a newline differs from the same line with one. None for null or empty text.</summary>
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

    private static int[] Intern(string[] lines, Dictionary<string, int> table)
    {
        int[] ids = new int[lines.Length];
        for (int k = 0; k < lines.Length; k++)
        {
            string line = lines[k];
            if (!table.TryGetValue(line, out int id))
            {
                id = table.Count;
                table.Add(line, id);
            }

            ids[k] = id;
        }

        return ids;
    }

    /// <summary>A shortest edit script (Myers) from <paramref name="a"/> to <paramref name="b"/>, as hunks, with its
    /// changes slid into the places git's xdiff puts them.</summary>
    internal static List<Hunk> Diff(int[] a, int[] b)
    {
        bool[] deleted = new bool[a.Length];
        bool[] inserted = new bool[b.Length];
        Mark(a, b, deleted, inserted);
        Compact(a, deleted, inserted);
        Compact(b, inserted, deleted);
        var hunks = new List<Hunk>();
        int ia = 0, ib = 0;
        while (ia < a.Length || ib < b.Length)
        {
            if (ia < a.Length && ib < b.Length && !deleted[ia] && !inserted[ib])
            {
                ia++;
                ib++;
                continue;
            }

            int sa = ia, sb = ib;
            while (ia < a.Length && deleted[ia])
            {
                ia++;
            }

            while (ib < b.Length && inserted[ib])
            {
                ib++;
            }

            hunks.Add(new Hunk(sa, ia, sb, ib));
        }

        return hunks;
    }

    /// <summary>Marks the lines of <paramref name="a"/> a shortest edit script deletes and those of <paramref name="b"/>
    /// it inserts.</summary>
    private static void Mark(int[] a, int[] b, bool[] deleted, bool[] inserted)
    {
        int prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix])
        {
            prefix++;
        }

        int suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[a.Length - 1 - suffix] == b[b.Length - 1 - suffix])
        {
            suffix++;
        }

        int n = a.Length - prefix - suffix, m = b.Length - prefix - suffix;
        if (n == 0 || m == 0)
        {
            Array.Fill(deleted, true, prefix, n);
            Array.Fill(inserted, true, prefix, m);
            return;
        }

        // Forward Myers, saving after each step d the part of V that the walk back reads (k in [-d, d], at k + d), so
        // the trace grows with the square of the edit distance, not with the files' length.
        int max = n + m;
        int offset = max + 1;
        int[] v = new int[(2 * max) + 3];
        var trace = new List<int[]>();
        bool found = false;
        for (int d = 0; d <= Math.Min(max, MaxEditDistance) && !found; d++)
        {
            for (int k = -d; k <= d; k += 2)
            {
                int x = k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
                int y = x - k;
                while (x < n && y < m && a[prefix + x] == b[prefix + y])
                {
                    x++;
                    y++;
                }

                v[offset + k] = x;
                if (x >= n && y >= m)
                {
                    found = true;
                    break;
                }
            }

            trace.Add(v.AsSpan(offset - d, (2 * d) + 1).ToArray());
        }

        if (!found)
        {
            // Too far apart: the middle is one change.
            Array.Fill(deleted, true, prefix, n);
            Array.Fill(inserted, true, prefix, m);
            return;
        }

        int cx = n, cy = m;
        for (int d = trace.Count - 1; d > 0; d--)
        {
            int[] pv = trace[d - 1];
            int k = cx - cy;
            bool down = k == -d || (k != d && pv[k - 1 + (d - 1)] < pv[k + 1 + (d - 1)]);
            int prevK = down ? k + 1 : k - 1;
            int prevX = pv[prevK + (d - 1)];
            int prevY = prevX - prevK;
            if (down)
            {
                inserted[prefix + prevY] = true;
            }
            else
            {
                deleted[prefix + prevX] = true;
            }

            cx = prevX;
            cy = prevY;
        }
    }

    /// <summary>
    /// Slides each group of changed lines of one file as xdiff's <c>xdl_change_compact</c> does (without its indent
    /// heuristic, which merges do not use): first up, then down as far as equal lines allow, merging groups it meets,
    /// and finally back up to the last place where it lines up with a change in the other file. A diff of texts with
    /// repeated lines has many shortest forms; this picks git's.
    /// </summary>
    private static void Compact(int[] recs, bool[] changed, bool[] otherChanged)
    {
        var g = new Group(changed);
        var go = new Group(otherChanged);
        while (true)
        {
            if (g.End != g.Start)
            {
                int groupSize, earliestEnd, endMatchingOther;
                do
                {
                    groupSize = g.End - g.Start;
                    endMatchingOther = -1;
                    while (g.SlideUp(recs))
                    {
                        go.Previous();
                    }

                    earliestEnd = g.End;
                    if (go.End > go.Start)
                    {
                        endMatchingOther = g.End;
                    }

                    while (g.SlideDown(recs))
                    {
                        go.Next();
                        if (go.End > go.Start)
                        {
                            endMatchingOther = g.End;
                        }
                    }
                }
                while (groupSize != g.End - g.Start);

                if (g.End != earliestEnd && endMatchingOther != -1)
                {
                    while (go.End == go.Start)
                    {
                        g.SlideUp(recs);
                        go.Previous();
                    }
                }
            }

            if (!g.Next())
            {
                break;
            }

            go.Next();
        }
    }

    /// <summary>A run of changed lines [Start, End) of one file, possibly empty (between two unchanged lines).</summary>
    private sealed class Group
    {
        private readonly bool[] _changed;

        public Group(bool[] changed)
        {
            _changed = changed;
            while (End < changed.Length && changed[End])
            {
                End++;
            }
        }

        public int Start { get; private set; }

        public int End { get; private set; }

        public bool Next()
        {
            if (End == _changed.Length)
            {
                return false;
            }

            Start = End + 1;
            End = Start;
            while (End < _changed.Length && _changed[End])
            {
                End++;
            }

            return true;
        }

        public bool Previous()
        {
            if (Start == 0)
            {
                return false;
            }

            End = Start - 1;
            Start = End;
            while (Start > 0 && _changed[Start - 1])
            {
                Start--;
            }

            return true;
        }

        public bool SlideDown(int[] recs)
        {
            if (End < _changed.Length && recs[Start] == recs[End])
            {
                _changed[Start++] = false;
                _changed[End++] = true;
                while (End < _changed.Length && _changed[End])
                {
                    End++;
                }

                return true;
            }

            return false;
        }

        public bool SlideUp(int[] recs)
        {
            if (Start > 0 && recs[Start - 1] == recs[End - 1])
            {
                _changed[--Start] = true;
                _changed[--End] = false;
                while (Start > 0 && _changed[Start - 1])
                {
                    Start--;
                }

                return true;
            }

            return false;
        }
    }
}
