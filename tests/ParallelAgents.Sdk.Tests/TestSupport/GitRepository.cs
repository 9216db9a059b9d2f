using System.Diagnostics;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>A real git repository in a temporary folder, driven by the git CLI (the oracle the tests check against).</summary>
internal sealed class GitRepository : IDisposable
{
    private readonly TempFolder _folder = new();

    /// <summary>Makes a repository on <c>main</c> with one commit of <paramref name="files"/> (a README when none).</summary>
    public GitRepository(params (string Path, string Content)[] files)
    {
        Path = _folder.Combine("repo");
        Directory.CreateDirectory(Path);
        Git("init", "-q", "-b", "main");
        Git("config", "user.name", "Test User");
        Git("config", "user.email", "test@example.com");
        Git("config", "commit.gpgsign", "false");
        foreach ((string path, string content) in files.Length == 0 ? [("README.md", "# test\n")] : files)
        {
            Write(path, content);
        }

        Commit("initial");
    }

    /// <summary>The repository's working tree.</summary>
    public string Path { get; }

    /// <summary>The temporary folder that holds the repository (and its default worktrees folder beside it).</summary>
    public string Parent => _folder.Path;

    public void Write(string path, string content)
    {
        string full = System.IO.Path.Combine(Path, path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    /// <summary>Stages everything and commits; returns the new commit's id.</summary>
    public string Commit(string message)
    {
        Git("add", "-A");
        Git("commit", "-q", "--allow-empty", "-m", message);
        return Head("HEAD");
    }

    public string Head(string revision) => Git("rev-parse", revision).Trim();

    public bool BranchExists(string branch) => Run(Path, ["rev-parse", "--verify", "-q", "refs/heads/" + branch]).ExitCode == 0;

    /// <summary>The worktrees <c>git worktree list --porcelain</c> reports, the main one first.</summary>
    public IReadOnlyList<ListedWorktree> Worktrees()
    {
        var list = new List<ListedWorktree>();
        ListedWorktree? current = null;
        foreach (string line in Git("worktree", "list", "--porcelain").Split('\n'))
        {
            if (line.StartsWith("worktree ", StringComparison.Ordinal))
            {
                current = new ListedWorktree { Path = line["worktree ".Length..] };
                list.Add(current);
            }
            else if (current is not null && line.StartsWith("branch ", StringComparison.Ordinal))
            {
                current.Branch = line["branch refs/heads/".Length..];
            }
            else if (current is not null && line.StartsWith("HEAD ", StringComparison.Ordinal))
            {
                current.Head = line["HEAD ".Length..];
            }
            else if (current is not null && line == "detached")
            {
                current.Detached = true;
            }
            else if (current is not null && line.StartsWith("locked", StringComparison.Ordinal))
            {
                current.LockReason = line.Length > "locked ".Length ? line["locked ".Length..] : "";
            }
            else if (current is not null && line.StartsWith("prunable", StringComparison.Ordinal))
            {
                current.Prunable = true;
            }
        }

        return list;
    }

    /// <summary>Runs <c>git fsck --strict</c> and fails when it reports anything.</summary>
    public void AssertFsckClean()
    {
        (int exit, string output) = Run(Path, ["fsck", "--strict", "--no-progress"]);
        Assert.True(exit == 0 && !output.Contains("error", StringComparison.OrdinalIgnoreCase), $"git fsck failed ({exit}):\n{output}");
    }

    public string Git(params string[] args) => GitIn(Path, args);

    public static string GitIn(string folder, params string[] args)
    {
        (int exit, string output) = Run(folder, args);
        Assert.True(exit == 0, $"git {string.Join(' ', args)} failed ({exit}) in {folder}:\n{output}");
        return output;
    }

    public static (int ExitCode, string Output) Run(string folder, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    public void Dispose() => _folder.Dispose();

    internal sealed class ListedWorktree
    {
        public required string Path { get; init; }

        public string? Branch { get; set; }

        public string? Head { get; set; }

        public bool Detached { get; set; }

        public string? LockReason { get; set; }

        public bool Prunable { get; set; }

        public override string ToString() => $"{Path} {Branch ?? "(detached)"} {LockReason}";
    }
}
