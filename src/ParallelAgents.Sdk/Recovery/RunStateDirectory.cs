using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>Where an engine keeps its runs' journals.</summary>
internal static class RunStateDirectory
{
    /// <summary>The folder's name inside the repository's common git folder.</summary>
    public const string DefaultName = "parallel-agents";

    /// <summary>The full path of the state folder, or <see langword="null"/> when the engine keeps no journal.</summary>
    /// <param name="configured">The configured folder, or <see langword="null"/> for the default.</param>
    /// <param name="repositoryPath">The engine's repository, or <see langword="null"/>.</param>
    public static string? Resolve(string? configured, string? repositoryPath)
    {
        string? root = repositoryPath is null ? null : Path.GetFullPath(repositoryPath);
        if (configured is not null)
        {
            return Path.GetFullPath(configured, root ?? Directory.GetCurrentDirectory());
        }

        if (root is null || Repository.Discover(root) is not { } gitDirectory)
        {
            return null;
        }

        // A worktree's git folder names the repository's own in 'commondir'; the runs of all worktrees share it.
        gitDirectory = Path.TrimEndingDirectorySeparator(gitDirectory);
        string commondir = Path.Combine(gitDirectory, "commondir");
        string common = File.Exists(commondir) ? Path.GetFullPath(File.ReadAllText(commondir).Trim(), gitDirectory) : gitDirectory;
        return Path.Combine(Path.TrimEndingDirectorySeparator(common), DefaultName);
    }
}
