using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>Checks of git names, kept apart so that no LibGit2Sharp type reaches the public options.</summary>
internal static class GitNames
{
    public static bool IsValidBranchName(string name) =>
        !string.IsNullOrEmpty(name) && Reference.IsValidName("refs/heads/" + name);
}
