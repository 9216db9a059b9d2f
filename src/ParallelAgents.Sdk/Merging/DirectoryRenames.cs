using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>
/// The one merge verdict where libgit2 and <c>git merge</c> differ on ordinary edits: git (the ort strategy, with
/// <c>merge.directoryRenames</c> at its default, <c>conflict</c>) notices when one side moved a whole directory and the
/// other side added a file in the old one, and reports a "file location" conflict; libgit2 has no directory rename
/// detection and merges the file into the old, now otherwise empty, directory. This check finds those cases the way
/// git does, so that the engine stops at the same merges as git.
/// </summary>
internal static class DirectoryRenames
{
    /// <summary>The files one side added inside a directory the other side renamed, as conflicts.</summary>
    public static List<MergeConflict> FindConflicts(Repository repository, Commit @base, Commit ours, Commit theirs)
    {
        // Without rename detection (which LibGit2Sharp turns on by default), so that a moved file shows as a deletion
        // on one side and an addition on the other, as git's directory rename rules count them.
        var plain = new CompareOptions { Similarity = SimilarityOptions.None };
        TreeChanges oursChanges = repository.Diff.Compare<TreeChanges>(@base.Tree, ours.Tree, plain);
        TreeChanges theirsChanges = repository.Diff.Compare<TreeChanges>(@base.Tree, theirs.Tree, plain);
        var conflicts = new List<MergeConflict>();
        Check(repository, @base, ours, oursChanges, theirsChanges, conflicts);
        Check(repository, @base, theirs, theirsChanges, oursChanges, conflicts);
        return conflicts;
    }

    private static void Check(
        Repository repository, Commit @base, Commit renamer, TreeChanges renamerChanges, TreeChanges otherChanges, List<MergeConflict> conflicts)
    {
        // Directories of the base that the renaming side no longer has at all.
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (TreeEntryChanges change in renamerChanges)
        {
            if (change.Status != ChangeKind.Deleted)
            {
                continue;
            }

            for (string? dir = Parent(change.Path); dir is not null; dir = Parent(dir))
            {
                if (renamer.Tree[dir] is null)
                {
                    removed.Add(dir);
                }
            }
        }

        if (removed.Count == 0)
        {
            return;
        }

        List<string> added = [.. otherChanges.Where(c => c.Status == ChangeKind.Added && Ancestors(c.Path).Any(removed.Contains)).Select(c => c.Path)];
        if (added.Count == 0)
        {
            return;
        }

        // Where each removed directory went: the directory most of its renamed files went to (as git counts, also
        // for the parents while the directory names stay the same).
        var counts = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        TreeChanges renames = repository.Diff.Compare<TreeChanges>(@base.Tree, renamer.Tree, new CompareOptions { Similarity = SimilarityOptions.Renames });
        foreach (TreeEntryChanges change in renames)
        {
            if (change.Status != ChangeKind.Renamed)
            {
                continue;
            }

            string? from = Parent(change.OldPath);
            string to = Parent(change.Path) ?? "";
            while (from is not null && from != to)
            {
                if (removed.Contains(from))
                {
                    if (!counts.TryGetValue(from, out Dictionary<string, int>? targets))
                    {
                        counts[from] = targets = new Dictionary<string, int>(StringComparer.Ordinal);
                    }

                    targets[to] = targets.GetValueOrDefault(to) + 1;
                }

                if (to.Length == 0 || Name(from) != Name(to))
                {
                    break;
                }

                from = Parent(from);
                to = Parent(to) ?? "";
            }
        }

        var renamedTo = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string dir, Dictionary<string, int> targets) in counts)
        {
            int best = targets.Values.Max();
            string[] winners = [.. targets.Where(t => t.Value == best).Select(t => t.Key)];
            if (winners.Length == 1)
            {
                renamedTo[dir] = winners[0];
            }
        }

        foreach (string path in added)
        {
            string? dir = Ancestors(path).FirstOrDefault(renamedTo.ContainsKey);
            if (dir is null)
            {
                continue;
            }

            conflicts.Add(new MergeConflict
            {
                Path = path,
                Kind = "directory-rename",
            });
        }
    }

    /// <summary>The directories holding <paramref name="path"/>, deepest first.</summary>
    private static IEnumerable<string> Ancestors(string path)
    {
        for (string? dir = Parent(path); dir is not null; dir = Parent(dir))
        {
            yield return dir;
        }
    }

    private static string? Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? null : path[..slash];
    }

    private static string Name(string dir) => dir[(dir.LastIndexOf('/') + 1)..];
}
