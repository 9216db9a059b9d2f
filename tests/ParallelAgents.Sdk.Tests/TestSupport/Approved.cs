namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>
/// Snapshot checks against approved files kept under the test project (<c>&lt;folder&gt;/Approved</c>): on a difference the
/// received text is written next to the approved one (<c>.received.txt</c>) and the test fails with the first
/// differing line. To approve a change, review the received file and rename it over the approved one.
/// </summary>
internal static class Approved
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
}
