using System.Text.RegularExpressions;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>
/// Snapshot checks against approved files kept under the test project (<c>&lt;folder&gt;/Approved</c>): on a difference the
/// received text is written next to the approved one (<c>.received.txt</c>) and the test fails with the first
/// differing line. To approve a change, review the received file and rename it over the approved one.
/// </summary>
internal static partial class Approved
{
    public static void Verify(string received, string name, string folder)
    {
        folder = Path.Combine(ProjectFolder(), folder, "Approved");
        string approvedPath = Path.Combine(folder, name + ".approved.txt");
        string receivedPath = Path.Combine(folder, name + ".received.txt");
        received = received.ReplaceLineEndings("\n");
        string? approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : null;
        if (approved == received)
        {
            File.Delete(receivedPath);
            return;
        }

        Directory.CreateDirectory(folder);
        File.WriteAllText(receivedPath, received);
        if (approved is null)
        {
            Assert.Fail($"No approved file for '{name}'. Review {receivedPath} and rename it to {Path.GetFileName(approvedPath)}.");
        }

        string[] a = approved.Split('\n');
        string[] r = received.Split('\n');
        int line = 0;
        while (line < a.Length && line < r.Length && a[line] == r[line])
        {
            line++;
        }

        Assert.Fail(
            $"'{name}' differs from its approved file at line {line + 1}:\n" +
            $"  approved: {(line < a.Length ? a[line] : "(end of file)")}\n" +
            $"  received: {(line < r.Length ? r[line] : "(end of file)")}\n" +
            $"The received text is in {receivedPath}; rename it over the approved file if the change is right.");
    }

    /// <summary>The test project's source folder, found from the test binaries (source paths are mapped away in CI
    /// builds, so the caller's file path cannot be used).</summary>
    private static string ProjectFolder()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "ParallelAgents.Sdk.Tests.csproj")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException($"The test project folder was not found above {AppContext.BaseDirectory}.");
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
