using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>
/// The detached worktree where verify commands run on merged trees: made once per run on first use, moved from one
/// merged commit to the next (ignored files such as <c>node_modules</c> are kept between merges, other untracked
/// files removed), and removed when the merger is disposed.
/// </summary>
internal sealed class IntegrationWorktree : IDisposable
{
    private readonly string _commonDir;
    private Repository? _repository;

    private IntegrationWorktree(string name, string path, string commonDir, Repository repository)
    {
        Name = name;
        RootPath = path;
        _commonDir = commonDir;
        _repository = repository;
    }

    public string Name { get; }

    public string RootPath { get; }

    public static IntegrationWorktree Create(Repository repository, string commonDir, string worktreesDirectory, string runId, Commit start)
    {
        string name = "pa-integration-" + runId;
        string path = Path.Combine(worktreesDirectory, name);

        // A crashed run with the same id may have left its worktree behind; it held nothing worth keeping.
        RemoveLeftovers(commonDir, name, path);
        Directory.CreateDirectory(worktreesDirectory);

        // LibGit2Sharp's Worktrees.Add always makes a branch named after the worktree, from HEAD (and a name with '/'
        // fails halfway), so the worktree is made under a plain name, detached at once, and the stray branch deleted.
        repository.Worktrees.Add(name, path, false);
        Repository worktree = new(path);
        try
        {
            Commands.Checkout(worktree, start, new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.Force });
            if (repository.Branches[name] is { IsCurrentRepositoryHead: false } stray)
            {
                repository.Branches.Remove(stray);
            }
        }
        catch
        {
            worktree.Dispose();
            RemoveLeftovers(commonDir, name, path);
            throw;
        }

        return new IntegrationWorktree(name, path, commonDir, worktree);
    }

    /// <summary>Puts the worktree at <paramref name="commit"/>, detached, with no untracked files but the ignored ones.</summary>
    public void MoveTo(Commit commit)
    {
        ObjectDisposedException.ThrowIf(_repository is null, this);
        Commit target = _repository.Lookup<Commit>(commit.Id);
        Commands.Checkout(_repository, target, new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.Force });
        _repository.RemoveUntrackedFiles();
    }

    public void Dispose()
    {
        if (_repository is null)
        {
            return;
        }

        _repository.Dispose();
        _repository = null;
        RemoveLeftovers(_commonDir, Name, RootPath);
    }

    /// <summary>Deletes the worktree's folder and its administrative folder, which is what <c>git worktree prune</c> does
    /// once the folder is gone; done by hand because LibGit2Sharp cannot prune a worktree whose folder was deleted.</summary>
    private static void RemoveLeftovers(string commonDir, string name, string path)
    {
        DeleteDirectory(path);
        DeleteDirectory(Path.Combine(commonDir, "worktrees", name));
    }

    private static void DeleteDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        foreach (string file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            FileAttributes attributes = File.GetAttributes(file);
            if ((attributes & FileAttributes.ReadOnly) != 0)
            {
                File.SetAttributes(file, attributes & ~FileAttributes.ReadOnly);
            }
        }

        Directory.Delete(path, recursive: true);
    }
}
