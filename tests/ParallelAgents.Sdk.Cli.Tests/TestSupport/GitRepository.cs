using System.Diagnostics;

namespace ParallelAgents.Sdk.Cli.Tests.TestSupport;

/// <summary>A real git repository in a temporary folder, on branch main with one commit, driven by the git CLI.</summary>
internal sealed class GitRepository : IDisposable
{
    private readonly DirectoryInfo _parent = Directory.CreateTempSubdirectory("pa-cli-");

    public GitRepository()
    {
        Root = System.IO.Path.Combine(_parent.FullName, "repo");
        Directory.CreateDirectory(Root);
        Git("init", "-q", "-b", "main");
        Git("config", "user.email", "tests@example.invalid");
        Git("config", "user.name", "tests");
        Write("README.md", "# test\n");
        Git("add", "-A");
        Git("commit", "-q", "-m", "initial");
    }

    public string Root { get; }

    /// <summary>The folder that holds the repository (and its worktrees folder), removed with it.</summary>
    public string Parent => _parent.FullName;

    public string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public string Write(string relative, string content)
    {
        string path = Path(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Writes a task file and commits it, so that worktrees have it too.</summary>
    public string Tasks(string yaml, string relative = "config/tasks.yaml")
    {
        Write(relative, yaml);
        Git("add", "-A");
        Git("commit", "-q", "-m", "tasks");
        return relative;
    }

    public string Git(params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"git {string.Join(' ', args)} exited with {process.ExitCode}: {error}");
    }

    public void Dispose()
    {
        try
        {
            _parent.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A process the test started may still hold a file; the temporary folder is cleaned by the system later.
        }
    }
}
