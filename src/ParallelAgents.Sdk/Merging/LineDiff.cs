namespace ParallelAgents.Sdk;

/// <summary>A shortest line diff (Myers' O(ND) algorithm) over lines already turned into numbers.</summary>
internal static class LineDiff
{
    /// <summary>Past this many differing lines the middle is reported as one change: the trace grows with the square of
    /// the distance, and files that different conflict as a whole anyway.</summary>
    internal const int MaxEditDistance = 2048;

    /// <summary>The changes that turn <paramref name="a"/> into <paramref name="b"/>, in order, each a maximal run.</summary>
    public static List<LineEdit> Compute(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
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

        var edits = new List<LineEdit>();
        ReadOnlySpan<int> x = a[prefix..(a.Length - suffix)];
        ReadOnlySpan<int> y = b[prefix..(b.Length - suffix)];
        if (x.Length == 0 && y.Length == 0)
        {
            return edits;
        }

        if (x.Length == 0 || y.Length == 0 || !TryAlign(x, y, out bool[]? deleted, out bool[]? inserted))
        {
            edits.Add(new LineEdit(prefix, x.Length, prefix, y.Length));
            return edits;
        }

        int i = 0, j = 0;
        while (i < x.Length || j < y.Length)
        {
            if (i < x.Length && j < y.Length && !deleted[i] && !inserted[j])
            {
                i++;
                j++;
                continue;
            }

            int i0 = i, j0 = j;
            while (i < x.Length && deleted[i])
            {
                i++;
            }

            while (j < y.Length && inserted[j])
            {
                j++;
            }

            edits.Add(new LineEdit(prefix + i0, i - i0, prefix + j0, j - j0));
        }

        return edits;
    }

    /// <summary>Marks the lines of <paramref name="x"/> deleted and of <paramref name="y"/> inserted by a shortest edit script.</summary>
    private static bool TryAlign(ReadOnlySpan<int> x, ReadOnlySpan<int> y, out bool[] deleted, out bool[] inserted)
    {
        int n = x.Length, m = y.Length, max = n + m, offset = max + 1;
        var v = new int[(2 * max) + 3];
        // trace[d] holds V after step d for k in [-d, d], at index k + d: only what backtracking reads.
        var trace = new List<int[]>();
        deleted = new bool[n];
        inserted = new bool[m];
        for (int d = 0; d <= Math.Min(max, MaxEditDistance); d++)
        {
            for (int k = -d; k <= d; k += 2)
            {
                int xk = k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
                int yk = xk - k;
                while (xk < n && yk < m && x[xk] == y[yk])
                {
                    xk++;
                    yk++;
                }

                v[offset + k] = xk;
                if (xk >= n && yk >= m)
                {
                    trace.Add(v.AsSpan(offset - d, (2 * d) + 1).ToArray());
                    Backtrack(trace, n, m, deleted, inserted);
                    return true;
                }
            }

            trace.Add(v.AsSpan(offset - d, (2 * d) + 1).ToArray());
        }

        return false;
    }

    private static void Backtrack(List<int[]> trace, int n, int m, bool[] deleted, bool[] inserted)
    {
        int x = n, y = m;
        for (int d = trace.Count - 1; d > 0; d--)
        {
            int[] previous = trace[d - 1];
            int k = x - y;
            bool down = k == -d || (k != d && previous[k - 1 + (d - 1)] < previous[k + 1 + (d - 1)]);
            int previousK = down ? k + 1 : k - 1;
            int previousX = previous[previousK + (d - 1)];
            int previousY = previousX - previousK;
            if (down)
            {
                inserted[previousY] = true;
            }
            else
            {
                deleted[previousX] = true;
            }

            x = previousX;
            y = previousY;
        }
    }
}
