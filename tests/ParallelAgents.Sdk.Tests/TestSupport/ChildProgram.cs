using System.Diagnostics;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>The tests' child program (tests/ParallelAgents.Sdk.Tests.WorktreeChild), started as a real process for the
/// tests to kill with SIGKILL.</summary>
internal static class ChildProgram
{
    /// <summary>Starts the child, reads its output until a line starts with <paramref name="signal"/>, kills it with
    /// SIGKILL and waits for it to end.</summary>
    /// <returns>Everything the child printed.</returns>
    public static async Task<string> RunUntilAndKillAsync(string signal, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path());
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        try
        {
            Task<string> errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken)) is not null)
            {
                output.AppendLine(line);
                if (line.StartsWith(signal, StringComparison.Ordinal))
                {
                    return output.ToString();
                }
            }

            Assert.Fail($"the child ended before printing '{signal}':\n{output}\n{await errors}");
            return output.ToString();
        }
        finally
        {
            process.Kill();   // SIGKILL on Unix: the process gets no chance to clean up.
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The child program in its own output folder: the test project's folder lacks assemblies that the ASP.NET
    /// Core shared framework gives the tests but not a plain console program.</summary>
    public static string Path()
    {
        // AppContext.BaseDirectory is tests/ParallelAgents.Sdk.Tests/bin/<configuration>/<framework>/.
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        DirectoryInfo configuration = framework.Parent!;
        DirectoryInfo tests = configuration.Parent!.Parent!.Parent!;
        string path = System.IO.Path.Combine(tests.FullName, "ParallelAgents.Sdk.Tests.WorktreeChild", "bin", configuration.Name, framework.Name,
            "ParallelAgents.Sdk.Tests.WorktreeChild.dll");
        Assert.True(File.Exists(path), $"the child program is not built at {path}");
        return path;
    }
}
