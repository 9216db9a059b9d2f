using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>The options of every in-memory merge, chosen to decide as <c>git merge</c> (the ort strategy) does.</summary>
internal static class InMemoryMerge
{
    /// <summary>The in-memory merge check the engine makes before anything moves: libgit2's merge of the two commits,
    /// preceded by <see cref="TreeMerge"/>'s fast path for
    /// merges that touch disjoint paths, and followed, when it is clean, by git's directory rename rule (see <see cref="DirectoryRenames"/>).</summary>
    /// <returns>The merged tree, or the conflicts (libgit2's, or the directory renames' as described conflicts).</returns>
    public static (Tree? Tree, IEnumerable<Conflict>? Conflicts, List<MergeConflict>? Moved) Check(Repository repository, Commit ours, Commit theirs, Commit? @base)
    {
        if (@base is not null && TreeMerge.TryMerge(repository, @base, ours, theirs) is { } fast)
        {
            return (fast, null, null);
        }

        MergeTreeResult merged = repository.ObjectDatabase.MergeCommits(ours, theirs, Options());
        if (merged.Status != MergeTreeStatus.Succeeded)
        {
            return (null, merged.Conflicts, null);
        }

        if (@base is not null && @base.Id != ours.Id && @base.Id != theirs.Id)
        {
            List<MergeConflict> moved = DirectoryRenames.FindConflicts(repository, @base, ours, theirs);
            if (moved.Count > 0)
            {
                return (null, null, moved);
            }
        }

        return (merged.Tree, null, null);
    }

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
