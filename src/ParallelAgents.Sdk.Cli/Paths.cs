namespace ParallelAgents.Sdk.Cli;

/// <summary>Where a command's repository, reports and shared memory are.</summary>
internal static class Paths
{
    /// <summary>The default shared memory file, relative to the repository.</summary>
    public const string DefaultMemory = FileSharedMemoryOptions.DefaultPath;

    /// <summary>The repository: <paramref name="repo"/> when given, else the git repository that holds
    /// <paramref name="near"/> (a task file), else the current folder's.</summary>
    /// <exception cref="CliUsageException">The folder is not inside a git repository.</exception>
    public static string Repository(string? repo, string? near = null)
    {
        if (repo is not null)
        {
            string full = Path.GetFullPath(repo);
            if (!Directory.Exists(full))
            {
                throw new CliUsageException($"--repo {repo}: the folder {full} does not exist; give the folder of a git repository.");
            }

            return Root(full) ?? throw new CliUsageException($"--repo {repo}: {full} is not inside a git repository; run 'git init' there or give another folder.");
        }

        string start = near is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(near))!;
        return Root(start)
            ?? throw new CliUsageException($"{start} is not inside a git repository; give the repository with --repo.");
    }

    /// <summary>A path given on the command line (relative to the current folder), or <paramref name="fallback"/> in
    /// <paramref name="repository"/> when none was given.</summary>
    public static string InRepository(string repository, string? path, string fallback) =>
        path is null ? Path.GetFullPath(fallback, repository) : Path.GetFullPath(path);

    private static string? Root(string folder)
    {
        for (DirectoryInfo? dir = new(folder); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
