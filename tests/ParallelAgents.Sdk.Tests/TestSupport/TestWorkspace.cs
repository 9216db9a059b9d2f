using System.Diagnostics;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>
/// A real workspace over a temporary folder: the sandboxed <see cref="WorkspaceFiles"/>, commands through the SDK's
/// process runner, and, when made with git, a repository on its own branch whose commits go through the git CLI.
/// </summary>
internal sealed class TestWorkspace : IAgentWorkspace
{
    private TestWorkspace(string taskId, string root, string? branch, string? baseCommit, CommandEnvironmentOptions environment)
    {
        TaskId = taskId;
        RootPath = root;
        Branch = branch;
        BaseCommit = baseCommit;
        Environment = environment;
        Files = new WorkspaceFiles(root);
    }

    public string TaskId { get; }

    public string RootPath { get; }

    public string? Branch { get; }

    public string? BaseCommit { get; }

    public WorkspaceFiles Files { get; }

    public CommandEnvironmentOptions Environment { get; }

    public List<CommandRequest> Commands { get; } = [];

    /// <summary>Runs as each command starts, so tests can act at that moment (such as cancelling) without timing.</summary>
    public Action<CommandRequest>? OnExecute { get; set; }

    public static TestWorkspace Create(string taskId = "task", bool git = false, CommandEnvironmentOptions? environment = null)
    {
        string root = Path.Combine(Path.GetTempPath(), "pa-agent-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        if (!git)
        {
            return new TestWorkspace(taskId, root, null, null, environment ?? new CommandEnvironmentOptions());
        }

        Git(root, "init", "-q", "-b", "main");
        Git(root, "config", "user.email", "tests@example.invalid");
        Git(root, "config", "user.name", "Tests");
        File.WriteAllText(Path.Combine(root, "README.md"), "base\n");
        Git(root, "add", "-A");
        Git(root, "commit", "-q", "-m", "base");
        string branch = $"agent/{taskId}";
        Git(root, "checkout", "-q", "-b", branch);
        return new TestWorkspace(taskId, root, branch, Git(root, "rev-parse", "HEAD").Trim(), environment ?? new CommandEnvironmentOptions());
    }

    public async ValueTask<CommandResult> ExecuteAsync(CommandRequest request, CancellationToken cancellationToken = default)
    {
        lock (Commands)
        {
            Commands.Add(request);
        }

        OnExecute?.Invoke(request);

        return await ProcessRunner.RunAsync(request, RootPath, Environment, cancellationToken);
    }

    public ValueTask<WorkspaceCommit?> CommitAsync(string message, CancellationToken cancellationToken = default)
    {
        if (Branch is null)
        {
            throw new NotSupportedException("this test workspace is not a git checkout");
        }

        Git(RootPath, "add", "-A");
        if (Git(RootPath, "status", "--porcelain").Trim().Length == 0)
        {
            return ValueTask.FromResult<WorkspaceCommit?>(null);
        }

        Git(RootPath, "commit", "-q", "-m", message);
        string id = Git(RootPath, "rev-parse", "HEAD").Trim();
        string[] files = Git(RootPath, "diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return ValueTask.FromResult<WorkspaceCommit?>(new WorkspaceCommit { CommitId = id, Branch = Branch, ChangedFiles = files });
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(RootPath, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return ValueTask.CompletedTask;
    }

    public string ReadFile(string path) => File.ReadAllText(Path.Combine(RootPath, path));

    public void WriteFile(string path, string content)
    {
        string full = Path.Combine(RootPath, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public static string Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
        }

        return output;
    }
}
