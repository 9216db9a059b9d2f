using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>The options of every in-memory merge, chosen to decide as <c>git merge</c> (the ort strategy) does.</summary>
internal static class InMemoryMerge
{
    /// <summary>git's ort strategy detects renames at 50% similarity with a limit of 7,000 candidate files
    /// (<c>merge.renameLimit</c>); libgit2's own limit is lower, which would miss renames git finds in big merges.</summary>
    public static MergeTreeOptions Options() => new()
    {
        FindRenames = true,
        RenameThreshold = 50,
        TargetLimit = 7000,
        FailOnConflict = false,
        SkipReuc = true,
    };
}
