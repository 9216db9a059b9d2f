namespace ParallelAgents.Sdk;

/// <summary>
/// Finds the conflicting line ranges of a three-way text merge (a small diff3): each side is diffed against the
/// ancestor, and changes of the two sides that overlap or touch in the ancestor conflict unless both sides made the
/// same change, which is how git's merge decides. Lines both sides share at the start and end of a conflict are
/// trimmed from it, as git's zealous merge does.
/// </summary>
internal static class ConflictLines
{
    /// <summary>One change of a side against the ancestor: ancestor lines [BaseStart, BaseEnd) became side lines
    /// [SideStart, SideEnd), 0-based.</summary>
    internal readonly record struct Hunk(int BaseStart, int BaseEnd, int SideStart, int SideEnd);

    /// <summary>The conflicting regions, each as 1-based inclusive ranges of the ours and theirs texts; a side that
    /// deleted the lines the other changed gets an empty range (<c>End == Start - 1</c>) at the place of the deletion.</summary>
    public static List<(LineRange Ours, LineRange Theirs)> Find(string ancestor, string ours, string theirs)
    {
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        int[] b = Intern(SplitLines(ancestor), table);
        int[] o = Intern(SplitLines(ours), table);
        int[] t = Intern(SplitLines(theirs), table);
        return Find(b, o, t);
    }

    internal static List<(LineRange Ours, LineRange Theirs)> Find(int[] b, int[] o, int[] t)
    {
        List<Hunk> ho = Diff(b, o);
        List<Hunk> ht = Diff(b, t);
        var result = new List<(LineRange, LineRange)>();
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

            if (gi > i && gj > j)
            {
                int os = start + deltaO, oe = end + deltaO + groupDeltaO;
                int ts = start + deltaT, te = end + deltaT + groupDeltaT;
                if (!o.AsSpan(os, oe - os).SequenceEqual(t.AsSpan(ts, te - ts)))
                {
                    // Lines both sides share at the edges of the region are not in conflict.
                    while (os < oe && ts < te && o[os] == t[ts])
                    {
                        os++;
                        ts++;
                    }

                    while (oe > os && te > ts && o[oe - 1] == t[te - 1])
                    {
                        oe--;
                        te--;
                    }

                    result.Add((new LineRange(os + 1, oe), new LineRange(ts + 1, te)));
                }
            }

            deltaO += groupDeltaO;
            deltaT += groupDeltaT;
            i = gi;
            j = gj;
        }

        return result;
    }

    /// <summary>The ranges of <paramref name="side"/> that differ from <paramref name="ancestor"/> (1-based, inclusive;
    /// pure deletions are left out since the side has no lines for them).</summary>
    public static List<LineRange> Changed(string ancestor, string side)
    {
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        List<Hunk> hunks = Diff(Intern(SplitLines(ancestor), table), Intern(SplitLines(side), table));
        return [.. hunks.Where(h => h.SideEnd > h.SideStart).Select(h => new LineRange(h.SideStart + 1, h.SideEnd))];
    }

    internal static string[] SplitLines(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        string[] lines = text.Split('\n');

        // A final newline ends the last line; it does not start an empty one.
        return text[^1] == '\n' ? lines[..^1] : lines;
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

    /// <summary>A shortest edit script (Myers) from <paramref name="a"/> to <paramref name="b"/>, as hunks.</summary>
    internal static List<Hunk> Diff(int[] a, int[] b)
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
        var hunks = new List<Hunk>();
        if (n == 0 && m == 0)
        {
            return hunks;
        }

        if (n == 0 || m == 0)
        {
            hunks.Add(new Hunk(prefix, prefix + n, prefix, prefix + m));
            return hunks;
        }

        // Forward Myers with one saved V array per edit distance, then a walk back to recover the path.
        int max = n + m;
        int offset = max + 1;
        int[] v = new int[(2 * max) + 3];
        var trace = new List<int[]>();
        int found = -1;
        for (int d = 0; d <= max && found < 0; d++)
        {
            trace.Add((int[])v.Clone());
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
                    found = d;
                    break;
                }
            }
        }

        // Walk back from (n, m), collecting which lines were deleted from a and inserted from b.
        bool[] deleted = new bool[n];
        bool[] inserted = new bool[m];
        int cx = n, cy = m;
        for (int d = found; d > 0; d--)
        {
            int[] pv = trace[d];
            int k = cx - cy;
            int prevK = k == -d || (k != d && pv[offset + k - 1] < pv[offset + k + 1]) ? k + 1 : k - 1;
            int prevX = pv[offset + prevK];
            int prevY = prevX - prevK;
            if (prevK == k + 1)
            {
                inserted[prevY] = true;
            }
            else
            {
                deleted[prevX] = true;
            }

            cx = prevX;
            cy = prevY;
        }

        int ia = 0, ib = 0;
        while (ia < n || ib < m)
        {
            if (ia < n && ib < m && !deleted[ia] && !inserted[ib])
            {
                ia++;
                ib++;
                continue;
            }

            int sa = ia, sb = ib;
            while (ia < n && deleted[ia])
            {
                ia++;
            }

            while (ib < m && inserted[ib])
            {
                ib++;
            }

            hunks.Add(new Hunk(prefix + sa, prefix + ia, prefix + sb, prefix + ib));
        }

        return hunks;
    }
}
