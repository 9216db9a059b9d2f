namespace ParallelAgents.Sdk;

/// <summary>Edit distance, for "did you mean" suggestions in error messages.</summary>
internal static class Levenshtein
{
    public static int Distance(string a, string b)
    {
        if (a.Length == 0)
        {
            return b.Length;
        }

        if (b.Length == 0)
        {
            return a.Length;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    /// <summary>The candidate closest to <paramref name="value"/>, if it is close enough to be a likely typo.</summary>
    /// <remarks>
    /// The distance ignores case, so a candidate that differs only in case (<c>Id</c> for <c>id</c>) is suggested.
    /// A candidate is never suggested when every character of either word would have to change: for a word of
    /// one or two letters almost anything is two edits away, and such a suggestion only misleads.
    /// </remarks>
    public static string? Nearest(string value, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            if (string.Equals(value, candidate, StringComparison.Ordinal))
            {
                // The value is itself a candidate: there is nothing to correct.
                return null;
            }

            int distance = Distance(value, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        if (best is null)
        {
            return null;
        }

        int allowed = Math.Max(2, Math.Min(value.Length, best.Length) / 3);
        return bestDistance <= allowed && bestDistance < value.Length && bestDistance < best.Length ? best : null;
    }
}
