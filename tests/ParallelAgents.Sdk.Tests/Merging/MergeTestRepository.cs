using System.Diagnostics;
using System.Text;

namespace ParallelAgents.Sdk.Tests.Merging;

/// <summary>A real git repository in a temporary folder, driven by the git CLI, which is also the oracle.</summary>
internal sealed class MergeTestRepository : IDisposable
{
    private MergeTestRepository(string folder)
    {
        Folder = folder;
        Root = Path.Combine(folder, "repo");
    }

    /// <summary>The temporary folder holding the repository (and the worktrees folder beside it).</summary>
    public string Folder { get; }

    /// <summary>The repository's working tree, with <c>main</c> checked out.</summary>
    public string Root { get; }

    public static MergeTestRepository Create(IReadOnlyDictionary<string, string>? files = null)
    {
        string folder = Path.Combine(Path.GetTempPath(), "pa-merge-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var repo = new MergeTestRepository(folder);
        Directory.CreateDirectory(repo.Root);
        repo.Git("init", "-q", "-b", "main");
        repo.Git("config", "user.name", "Test User");
        repo.Git("config", "user.email", "test@example.invalid");
        repo.Git("config", "commit.gpgsign", "false");
        repo.Git("config", "core.autocrlf", "false");
        foreach ((string path, string content) in files ?? new Dictionary<string, string> { ["README.md"] = "# test\n" })
        {
            repo.Write(path, content);
        }

        repo.Commit("initial");
        return repo;
    }

    public string Git(params string[] args)
    {
        (int exit, string output, string error) = TryGit(args);
        if (exit != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} exited with {exit}: {error}{output}");
        }

        return output.TrimEnd('\n');
    }

    public (int Exit, string Output, string Error) TryGit(params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["HOME"] = Folder;
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }

    public void Write(string path, string content)
    {
        string full = Path.Combine(Root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content, new UTF8Encoding(false));
    }

    public string Read(string path) => File.ReadAllText(Path.Combine(Root, path));

    public void Delete(string path) => File.Delete(Path.Combine(Root, path));

    /// <summary>Stages everything and commits on the current branch; returns the commit id.</summary>
    public string Commit(string message)
    {
        Git("add", "-A");
        Git("commit", "-q", "--allow-empty", "-m", message);
        return Head();
    }

    public string Head() => Git("rev-parse", "HEAD");

    public string RevParse(string rev) => Git("rev-parse", rev);

    /// <summary>Makes <paramref name="branch"/> from <paramref name="from"/>, runs <paramref name="change"/> on it and
    /// commits, then checks out <c>main</c> again; returns the branch's commit.</summary>
    public string OnBranch(string branch, string from, Action<MergeTestRepository> change, string? message = null)
    {
        Git("checkout", "-q", "-B", branch, from);
        change(this);
        string commit = Commit(message ?? $"work on {branch}");
        Git("checkout", "-q", "main");
        return commit;
    }

    /// <summary>Commits <paramref name="change"/> on <c>main</c> (checked out); returns the commit.</summary>
    public string OnMain(Action<MergeTestRepository> change, string message = "main moves on")
    {
        change(this);
        return Commit(message);
    }

    public string ShowFile(string rev, string path) => Git("show", $"{rev}:{path}");

    public string[] Parents(string rev) => Git("rev-list", "--parents", "-n", "1", rev).Split(' ')[1..];

    public string[] TreeFiles(string rev) => Git("ls-tree", "-r", "--name-only", rev).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary><c>git fsck</c> exits 0 and reports nothing broken (dangling objects, such as a merge commit whose verify
    /// failed, are not damage).</summary>
    public void AssertFsckClean()
    {
        (int exit, string output, string error) = TryGit("fsck", "--full", "--strict", "--no-dangling");
        Assert.True(exit == 0, $"git fsck failed ({exit}): {error}{output}");
        Assert.True(string.IsNullOrWhiteSpace(output), $"git fsck reported: {output}");
        foreach (string line in error.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.True(line.StartsWith("Checking", StringComparison.Ordinal), $"git fsck reported: {line}");
        }
    }

    /// <summary>Every file of the working tree (not <c>.git</c>) and the index file, byte for byte.</summary>
    public Dictionary<string, byte[]> Snapshot()
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(Root, file).Replace('\\', '/');
            if (!relative.StartsWith(".git/", StringComparison.Ordinal))
            {
                files[relative] = File.ReadAllBytes(file);
            }
        }

        files[".git/index"] = File.ReadAllBytes(Path.Combine(Root, ".git", "index"));
        return files;
    }

    public MergeOptions Options(Action<MergeOptions>? configure = null)
    {
        // Reports go beside the repository so that they do not show up as untracked files in the tests' checks.
        var options = new MergeOptions { RepositoryPath = Root, ReportsDirectory = Path.Combine(Folder, "reports") };
        configure?.Invoke(options);
        return options;
    }

    public void Dispose()
    {
        try
        {
            foreach (string file in Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(file, FileAttributes.Normal);
            }

            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
