using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>
/// The fast path of the in-memory merge: a three-way merge of trees that settles every entry one side left as it
/// was, or both sides changed the same way, and reuses whole unchanged subtrees, so that its cost follows the size of
/// the change, not of the repository. It gives up (and libgit2's full merge decides) as soon as an entry needs more:
/// a file both sides changed differently, a path both sides deleted (one may be a rename, which git reports as
/// rename/delete), or a file that one side replaced while the other changed what was under it. Everything it does
/// settle, git settles the same way, rename detection included: a rename can only change the outcome when the other
/// side touched the renamed path, and then both sides changed that path.
/// </summary>
internal static class TreeMerge
{
    /// <summary>The id git gives the empty tree; returned, never written, for a folder that ends up empty.</summary>
    private static readonly ObjectId EmptyTree = new("4b825dc642cb6eb9a060e54bf8d69288fbee4904");

    /// <summary>The merged tree, or <see langword="null"/> when the merge needs libgit2's full merge.</summary>
    public static Tree? TryMerge(Repository repository, Commit @base, Commit ours, Commit theirs)
    {
        // One merge base is what this merge assumes; a side with no merge commits since the base guarantees it (with
        // merges on both sides there may be several, which git merges recursively).
        if (!IsLinear(theirs, @base) && !IsLinear(ours, @base))
        {
            return null;
        }

        ObjectId? merged = Merge(repository, @base.Tree, ours.Tree, theirs.Tree);
        return merged is null ? null : repository.Lookup<Tree>(merged);
    }

    private static bool IsLinear(Commit tip, Commit @base)
    {
        Commit current = tip;
        for (int step = 0; step < 10_000; step++)
        {
            if (current.Id == @base.Id)
            {
                return true;
            }

            Commit[] parents = [.. current.Parents.Take(2)];
            if (parents.Length != 1)
            {
                return false;
            }

            current = parents[0];
        }

        return false;
    }

    private static ObjectId? Merge(Repository repository, Tree @base, Tree ours, Tree theirs)
    {
        Dictionary<string, TreeEntry> b = Entries(@base), o = Entries(ours), t = Entries(theirs);
        var result = new TreeDefinition();
        int count = 0;
        var names = new HashSet<string>(b.Keys, StringComparer.Ordinal);
        names.UnionWith(o.Keys);
        names.UnionWith(t.Keys);
        foreach (string name in names)
        {
            b.TryGetValue(name, out TreeEntry? be);
            o.TryGetValue(name, out TreeEntry? oe);
            t.TryGetValue(name, out TreeEntry? te);
            TreeEntry? take;
            if (Same(oe, te))
            {
                if (oe is null)
                {
                    // Deleted on both sides: one of them may be a rename, which only the full merge can tell.
                    return null;
                }

                take = oe;
            }
            else if (Same(oe, be))
            {
                take = te;
            }
            else if (Same(te, be))
            {
                take = oe;
            }
            else if (be?.TargetType == TreeEntryTargetType.Tree && oe?.TargetType == TreeEntryTargetType.Tree && te?.TargetType == TreeEntryTargetType.Tree)
            {
                ObjectId? subtree = Merge(repository, (Tree)be.Target, (Tree)oe.Target, (Tree)te.Target);
                if (subtree is null)
                {
                    return null;
                }

                // Both sides emptied the folder between them: git keeps no empty folders.
                if (subtree != EmptyTree)
                {
                    result.Add(name, repository.Lookup<Tree>(subtree));
                    count++;
                }

                continue;
            }
            else
            {
                return null;
            }

            if (take is not null)
            {
                result.Add(name, take);
                count++;
            }
        }

        return count == 0 ? EmptyTree : repository.ObjectDatabase.CreateTree(result).Id;
    }

    private static Dictionary<string, TreeEntry> Entries(Tree tree)
    {
        var entries = new Dictionary<string, TreeEntry>(tree.Count, StringComparer.Ordinal);
        foreach (TreeEntry entry in tree)
        {
            entries[entry.Name] = entry;
        }

        return entries;
    }

    private static bool Same(TreeEntry? x, TreeEntry? y) =>
        x is null ? y is null : y is not null && x.Mode == y.Mode && x.Target.Id == y.Target.Id;
}
