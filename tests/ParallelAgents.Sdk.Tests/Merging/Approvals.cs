using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace ParallelAgents.Sdk.Tests.Merging;

/// <summary>Compares text with an approved file under <c>Merging/Approved</c>; on a difference it writes the text beside
/// it as <c>.received</c> so that it can be reviewed and, if right, renamed over the approved file.</summary>
internal static partial class Approvals
{
    public static void Verify(string actual, string name, [CallerFilePath] string callerFile = "")
    {
        string approved = Path.Combine(Path.GetDirectoryName(callerFile)!, "Approved", name);
        string received = approved + ".received";
        string? expected = File.Exists(approved) ? File.ReadAllText(approved).ReplaceLineEndings("\n") : null;
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"No approved file {approved}; review {received} and rename it to approve it."
            : $"{name} differs from the approved file; compare {received} with {approved}.");
    }

    /// <summary>Replaces what changes from run to run (commit ids, times, durations, temporary paths) with stable
    /// placeholders; each distinct commit keeps its own number, so the report's structure is still checked.</summary>
    public static string Normalize(string text, string repositoryRoot, params IEnumerable<string?> knownIds)
    {
        text = text.Replace(repositoryRoot, "<repo>", StringComparison.Ordinal).ReplaceLineEndings("\n");
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string? id in knownIds)
        {
            if (id is not null)
            {
                numbers.TryAdd(id, numbers.Count + 1);
            }
        }

        foreach (Match match in FullId().Matches(text))
        {
            numbers.TryAdd(match.Value, numbers.Count + 1);
        }

        foreach ((string id, int n) in numbers)
        {
            text = text.Replace(id, $"<commit-{n}>", StringComparison.Ordinal)
                .Replace(id[..12], $"<c{n}>", StringComparison.Ordinal)
                .Replace(id[..10], $"<c{n}>", StringComparison.Ordinal);
        }

        text = Time().Replace(text, "<time>");
        text = Duration().Replace(text, "\"duration_ms\": 0");
        return text;
    }

    [GeneratedRegex("\\b[0-9a-f]{40}\\b")]
    private static partial Regex FullId();

    [GeneratedRegex("\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z?( UTC)?")]
    private static partial Regex Time();

    [GeneratedRegex("\"duration_ms\": [0-9.]+")]
    private static partial Regex Duration();
}
