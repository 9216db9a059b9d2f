using System.Diagnostics;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>Runs <c>git merge-file -p ours base theirs</c> on three texts in a temporary folder: the oracle for the
/// conflicting line ranges.</summary>
internal static class GitMergeFile
{
    /// <summary>The merged text git prints, with its conflict markers, and its exit code (the number of conflicts, or a
    /// negative number when it failed).</summary>
    public static (int ExitCode, string Output) Run(string ancestor, string ours, string theirs)
    {
        string dir = Directory.CreateTempSubdirectory("pa-mergefile-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "base"), ancestor);
            File.WriteAllText(Path.Combine(dir, "ours"), ours);
            File.WriteAllText(Path.Combine(dir, "theirs"), theirs);
            using Process git = Process.Start(new ProcessStartInfo("git", ["merge-file", "-p", "ours", "base", "theirs"])
            {
                WorkingDirectory = dir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            Task<string> error = git.StandardError.ReadToEndAsync();
            string output = git.StandardOutput.ReadToEnd();
            git.WaitForExit();
            _ = error.Result;
            return (git.ExitCode, output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
