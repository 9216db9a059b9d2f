using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>
/// The working trees where the main branch is checked out (the repository's own and any linked worktree), and the
/// safe update of each after the branch advanced. A working tree is updated only when it matches the old commit
/// exactly: nothing staged, modified or deleted, no conflicts, and no untracked or ignored file where the merge adds
/// one. Any other working tree is left byte for byte as it was.
/// </summary>
internal static class MainCheckouts
{
    /// <summary>The roots of the working trees whose HEAD is the branch <paramref name="refName"/>.</summary>
    public static List<string> Find(string commonDir, string refName, string? mainWorkingDirectory)
    {
        var roots = new List<string>();
        string expected = "ref: " + refName;
        if (mainWorkingDirectory is not null && ReadHead(Path.Combine(commonDir, "HEAD")) == expected)
        {
            roots.Add(Path.TrimEndingDirectorySeparator(mainWorkingDirectory));
        }

        string linked = Path.Combine(commonDir, "worktrees");
        if (Directory.Exists(linked))
        {
            foreach (string admin in Directory.EnumerateDirectories(linked))
            {
                string gitdirFile = Path.Combine(admin, "gitdir");
                if (ReadHead(Path.Combine(admin, "HEAD")) != expected || !File.Exists(gitdirFile))
                {
                    continue;
                }

                string dotGit = File.ReadAllText(gitdirFile).Trim();
                string? root = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(dotGit));
                if (root is not null && Directory.Exists(root))
                {
                    roots.Add(root);
                }
            }
        }

        return roots;
    }

    /// <summary>Why the working tree at <paramref name="root"/> cannot be moved from <paramref name="from"/> to
    /// <paramref name="to"/> without touching a user's change, or <see langword="null"/> when it can.</summary>
    /// <remarks>Called while the branch still points at <paramref name="from"/>, so that git's status compares the
    /// working tree with it.</remarks>
    public static string? FindObstacle(string root, Commit from, Commit to)
    {
        using var repository = new Repository(root);
        if (repository.Head.Tip?.Id != from.Id)
        {
            return $"its HEAD is not at {from.Sha[..12]}";
        }

        if (!repository.Index.IsFullyMerged)
        {
            return "it has unresolved conflicts";
        }

        RepositoryStatus status = repository.RetrieveStatus(new StatusOptions
        {
            IncludeUntracked = false,
            IncludeIgnored = false,
            ExcludeSubmodules = true,
            DetectRenamesInIndex = false,
            DetectRenamesInWorkDir = false,
        });
        StatusEntry? changed = status.FirstOrDefault(e => e.State != FileStatus.Unaltered && e.State != FileStatus.Ignored && e.State != FileStatus.NewInWorkdir);
        if (changed is not null)
        {
            return $"it has uncommitted changes ({changed.FilePath}: {Describe(changed.State)})";
        }

        // Untracked and ignored files are kept unless the merge would put a file or a folder in their place.
        foreach (TreeEntryChanges change in repository.Diff.Compare<TreeChanges>(from.Tree, to.Tree))
        {
            if (change.Status is not (ChangeKind.Added or ChangeKind.Renamed or ChangeKind.Copied or ChangeKind.TypeChanged))
            {
                continue;
            }

            string path = Path.Combine(root, change.Path.Replace('/', Path.DirectorySeparatorChar));
            if (from.Tree[change.Path] is null && (File.Exists(path) || Directory.Exists(path)))
            {
                return $"the untracked '{change.Path}' is where the merge adds a file";
            }

            string? parent = Path.GetDirectoryName(path);
            while (parent is not null && parent.Length > root.Length)
            {
                if (File.Exists(parent) && from.Tree[Path.GetRelativePath(root, parent).Replace(Path.DirectorySeparatorChar, '/')] is null)
                {
                    return $"the untracked file '{Path.GetRelativePath(root, parent)}' is where the merge adds a folder";
                }

                parent = Path.GetDirectoryName(parent);
            }
        }

        return null;
    }

    /// <summary>Brings a working tree that <see cref="FindObstacle"/> found clean from <paramref name="from"/> to
    /// <paramref name="to"/>, while the branch (still at <paramref name="from"/>) is locked.</summary>
    /// <remarks>libgit2's safe checkout compares each file with <paramref name="from"/> (HEAD) before it writes, and
    /// writes nothing at all when one changed since <see cref="FindObstacle"/> looked: a change the user makes in between
    /// is never overwritten.</remarks>
    /// <returns><see langword="null"/> when the tree was updated, or why it was left as it was.</returns>
    public static string? Update(string root, Commit from, Commit to)
    {
        using var repository = new Repository(root);
        if (repository.Head.Tip?.Id != from.Id)
        {
            return $"its HEAD is no longer at {from.Sha[..12]}";
        }

        try
        {
            repository.Checkout(repository.Lookup<Tree>(to.Tree.Id), null, new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.None });
            return null;
        }
        catch (CheckoutConflictException exception)
        {
            return $"files changed while the merge was written ({exception.Message})";
        }
    }

    private static string? ReadHead(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;

    private static string Describe(FileStatus state) =>
        (state & (FileStatus.NewInIndex | FileStatus.ModifiedInIndex | FileStatus.DeletedFromIndex | FileStatus.RenamedInIndex | FileStatus.TypeChangeInIndex)) != 0
            ? "staged"
            : (state & FileStatus.DeletedFromWorkdir) != 0
                ? "deleted"
                : (state & FileStatus.Conflicted) != 0 ? "conflicted" : "modified";
}
