using System.Diagnostics;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>A real git repository in a temporary folder, built with the git CLI; deleted on disposal.</summary>
internal sealed class TestRepository : IDisposable
{
    private TestRepository(string path) => Path = path;

    /// <summary>The working tree.</summary>
    public string Path { get; }

    /// <summary>A repository with branch <c>main</c> holding one commit of <paramref name="files"/>.</summary>
    public static TestRepository Create(IReadOnlyDictionary<string, string?> files, string mainBranch = "main")
    {
        string path = Directory.CreateTempSubdirectory("pa-repo-").FullName;
        var repository = new TestRepository(path);
        repository.Git("init", "-q", "-b", mainBranch);
        // No automatic gc: tests count objects before and after.
        repository.Git("config", "gc.auto", "0");
        repository.Git("config", "commit.gpgsign", "false");
        repository.Commit(mainBranch, files, "initial");
        return repository;
    }

    /// <summary>Ten numbered lines, <c>line 1</c> to <c>line 10</c>, each ending with a newline.</summary>
    public static string TenLines => string.Concat(Enumerable.Range(1, 10).Select(i => $"line {i}\n"));

    /// <summary><see cref="TenLines"/> with some lines replaced (1-based).</summary>
    public static string TenLinesWith(params (int Line, string Text)[] replacements)
    {
        string[] lines = [.. Enumerable.Range(1, 10).Select(i => $"line {i}")];
        foreach ((int line, string text) in replacements)
        {
            lines[line - 1] = text;
        }

        return string.Concat(lines.Select(l => l + "\n"));
    }

    /// <summary>Creates <paramref name="branch"/> at <paramref name="from"/>'s tip.</summary>
    public void CreateBranch(string branch, string from = "main") => Git("branch", branch, from);

    /// <summary>Writes files (a <see langword="null"/> content deletes the file) on <paramref name="branch"/> and commits.</summary>
    /// <returns>The new commit's id.</returns>
    public string Commit(string branch, IReadOnlyDictionary<string, string?> files, string message)
    {
        if (Run(allowFailure: true, "rev-parse", "--verify", "--quiet", "refs/heads/" + branch).Length == 0 && HasCommits())
        {
            throw new InvalidOperationException($"There is no branch '{branch}' yet; call CreateBranch first.");
        }

        if (HasCommits())
        {
            Git("switch", "-q", branch);
        }

        foreach ((string file, string? content) in files)
        {
            string full = System.IO.Path.Combine(Path, file);
            if (content is null)
            {
                Git("rm", "-q", file);
                continue;
            }

            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
            Git("add", file);
        }

        Git("commit", "-q", "--allow-empty", "-m", message);
        return Git("rev-parse", "HEAD").Trim();
    }

    /// <summary>The full id of a branch's tip.</summary>
    public string Tip(string branch) => Git("rev-parse", "refs/heads/" + branch).Trim();

    /// <summary>Every ref and what it points at (<c>git for-each-ref</c>).</summary>
    public string Refs() => Git("for-each-ref");

    /// <summary>How many objects the repository holds, loose and packed.</summary>
    public int ObjectCount()
    {
        string[] lines = Git("count-objects", "-v").Split('\n');
        int Value(string name) => int.Parse(lines.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return Value("count") + Value("in-pack");
    }

    /// <summary>Runs <c>git fsck --strict</c> and returns its output; throws when it fails.</summary>
    public string Fsck() => Git("fsck", "--strict", "--no-progress");

    /// <summary>Runs git in the working tree.</summary>
    /// <returns>Standard output.</returns>
    public string Git(params string[] arguments) => Run(allowFailure: false, arguments);

    private string Run(bool allowFailure, params string[] arguments)
    {
        var start = new ProcessStartInfo("git", arguments)
        {
            WorkingDirectory = Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["GIT_AUTHOR_NAME"] = "Test";
        start.Environment["GIT_AUTHOR_EMAIL"] = "test@example.com";
        start.Environment["GIT_COMMITTER_NAME"] = "Test";
        start.Environment["GIT_COMMITTER_EMAIL"] = "test@example.com";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        using Process git = Process.Start(start)!;
        Task<string> error = git.StandardError.ReadToEndAsync();
        string output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        if (git.ExitCode != 0 && !allowFailure)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({git.ExitCode}): {error.Result}");
        }

        return output;
    }

    private bool HasCommits() => Run(allowFailure: true, "rev-parse", "--verify", "--quiet", "HEAD").Length > 0;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A handle still open on Windows; the temp folder is cleaned eventually.
        }
    }
}
