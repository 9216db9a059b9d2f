using System.Text;

namespace ParallelAgents.Sdk;

/// <summary>
/// Git's on-disk record of linked worktrees (see <c>gitrepository-layout</c>): for a worktree named N at folder W,
/// <c>.git/worktrees/N/</c> holds <c>gitdir</c> (W/.git), <c>commondir</c> (<c>../..</c>), <c>HEAD</c> and, when
/// locked, <c>locked</c> (the reason); W/.git is a file that points back at <c>.git/worktrees/N</c>.
/// </summary>
/// <remarks>
/// The provider writes these files itself instead of calling libgit2's <c>git_worktree_add</c>, which always makes a
/// branch named after the worktree from HEAD, refuses names with <c>/</c>, and checks out before the lock can be
/// written. Writing the record first, locked, then checking out means that a process killed at any moment leaves
/// either nothing or a locked entry that names the dead process, which the sweeper removes. git, libgit2 and
/// LibGit2Sharp all read this layout.
/// </remarks>
internal sealed class WorktreeLayout(string commonDirectory, string mainWorktreePath)
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The repository's common git folder (the main worktree's <c>.git</c>).</summary>
    public string CommonDirectory { get; } = commonDirectory;

    /// <summary>The main worktree's folder.</summary>
    public string MainWorktreePath { get; } = mainWorktreePath;

    public string AdminRoot => Path.Combine(CommonDirectory, "worktrees");

    public string AdminPath(string name) => Path.Combine(AdminRoot, name);

    public bool NameTaken(string name) => Directory.Exists(AdminPath(name));

    public IReadOnlyList<WorktreeEntry> Entries()
    {
        if (!Directory.Exists(AdminRoot))
        {
            return [];
        }

        var entries = new List<WorktreeEntry>();
        foreach (string admin in Directory.EnumerateDirectories(AdminRoot))
        {
            string? gitdir = ReadLine(Path.Combine(admin, "gitdir"));
            string? worktree = gitdir is null ? null : Path.GetDirectoryName(Path.GetFullPath(gitdir, admin));
            string? reason = ReadAll(Path.Combine(admin, "locked"));
            if (reason is null && File.Exists(Path.Combine(admin, "locked")))
            {
                reason = "";
            }

            entries.Add(new WorktreeEntry(Path.GetFileName(admin), admin, worktree, reason, ReadLine(Path.Combine(admin, "HEAD"))));
        }

        return entries;
    }

    /// <summary>The folders of the worktrees, the main one included, whose HEAD is on <paramref name="branch"/>.</summary>
    public IEnumerable<string> WorktreesOnBranch(string branch)
    {
        string head = "ref: refs/heads/" + branch;
        if (string.Equals(ReadLine(Path.Combine(CommonDirectory, "HEAD")), head, StringComparison.Ordinal))
        {
            yield return MainWorktreePath;
        }

        foreach (WorktreeEntry entry in Entries())
        {
            if (string.Equals(entry.Head, head, StringComparison.Ordinal))
            {
                yield return entry.WorktreePath ?? entry.AdminPath;
            }
        }
    }

    /// <summary>Where records are put together before they are renamed into <see cref="AdminRoot"/>.</summary>
    public string StagingRoot => Path.Combine(CommonDirectory, "parallel-agents-staging");

    /// <summary>Records a new worktree, locked, then makes its folder with the <c>.git</c> file that points back.</summary>
    /// <param name="parentFolder">The folder the worktree's folder is made in.</param>
    /// <param name="baseName">The wanted name of the folder and of the record; <c>.2</c>, <c>.3</c>... are added
    /// while either is taken.</param>
    /// <param name="head">The worktree's HEAD: <c>ref: refs/heads/&lt;branch&gt;</c> or a commit id.</param>
    /// <param name="lockReason">The lock's reason (<see cref="WorktreeLock"/>).</param>
    /// <returns>The record's name and the worktree's folder.</returns>
    public (string Name, string Path) Create(string parentFolder, string baseName, string head, string lockReason)
    {
        // The record is written in a staging folder and renamed into place, so that git, and a sweeper in another
        // process, never see a record without its lock: from then on a crash leaves an entry that names its owner.
        string staging = Path.Combine(StagingRoot, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        Write(Path.Combine(staging, "locked"), lockReason);
        Write(Path.Combine(staging, "commondir"), "../..");
        Write(Path.Combine(staging, "HEAD"), head);
        Directory.CreateDirectory(AdminRoot);
        for (int n = 1; ; n++)
        {
            string name = n == 1 ? baseName : $"{baseName}.{n}";
            string worktreePath = Path.Combine(parentFolder, name);
            if (NameTaken(name) || Directory.Exists(worktreePath) || File.Exists(worktreePath))
            {
                continue;
            }

            Write(Path.Combine(staging, "gitdir"), Path.Combine(worktreePath, ".git"));
            try
            {
                Directory.Move(staging, AdminPath(name));
            }
            catch (IOException) when (NameTaken(name) && n < 1000)
            {
                // Another process took the name between the check and the rename.
                continue;
            }

            Directory.CreateDirectory(worktreePath);
            Write(Path.Combine(worktreePath, ".git"), "gitdir: " + AdminPath(name));
            return (name, worktreePath);
        }
    }

    /// <summary>A folder name under <paramref name="parentFolder"/> that neither a folder nor a record uses.</summary>
    public string FreeFolder(string parentFolder, string baseName)
    {
        for (int n = 1; ; n++)
        {
            string name = n == 1 ? baseName : $"{baseName}.{n}";
            string path = Path.Combine(parentFolder, name);
            if (!NameTaken(name) && !Directory.Exists(path) && !File.Exists(path))
            {
                return path;
            }
        }
    }

    /// <summary>Moves a worktree's folder and hands it to another owner and HEAD (a warm-pool worktree given to a
    /// task). The lock is rewritten first so that a crash part-way leaves an entry owned by the new, dead, owner.</summary>
    public void Relocate(string name, string fromPath, string toPath, string head, string lockReason)
    {
        string admin = AdminPath(name);
        Write(Path.Combine(admin, "locked"), lockReason);
        if (!string.Equals(fromPath, toPath, StringComparison.Ordinal))
        {
            Directory.Move(fromPath, toPath);
            Write(Path.Combine(admin, "gitdir"), Path.Combine(toPath, ".git"));
        }

        Write(Path.Combine(admin, "HEAD"), head);
    }

    /// <summary>Removes a worktree's administrative folder, if it is still the one for <paramref name="worktreePath"/>.</summary>
    public bool RemoveEntry(string name, string worktreePath)
    {
        string admin = AdminPath(name);
        string? gitdir = ReadLine(Path.Combine(admin, "gitdir"));
        if (gitdir is not null && !string.Equals(Path.GetFullPath(gitdir, admin), Path.Combine(worktreePath, ".git"), StringComparison.Ordinal))
        {
            return false;
        }

        return DeleteFolder(admin);
    }

    /// <summary>Removes an administrative folder without checks (the sweeper's, for entries it has judged).</summary>
    public static bool RemoveAdmin(WorktreeEntry entry) => DeleteFolder(entry.AdminPath);

    /// <summary>The administrative folder a worktree folder's <c>.git</c> file points at, or <see langword="null"/> when
    /// the folder has no such file.</summary>
    public static string? AdminPathOf(string worktreePath)
    {
        string? line = ReadLine(Path.Combine(worktreePath, ".git"));
        return line is not null && line.StartsWith("gitdir: ", StringComparison.Ordinal)
            ? Path.GetFullPath(line["gitdir: ".Length..], worktreePath)
            : null;
    }

    /// <summary>Deletes a folder and everything in it; a folder already gone is not an error.</summary>
    /// <returns>Whether the folder existed.</returns>
    public static bool DeleteFolder(string path)
    {
        if (!Directory.Exists(path))
        {
            return false;
        }

        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            // Read-only files (on Windows) or folders an agent made read-only: make them writable and try once more.
            foreach (string entry in Directory.EnumerateFileSystemEntries(path, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(entry, FileAttributes.Normal);
                if (!OperatingSystem.IsWindows() && Directory.Exists(entry))
                {
                    File.SetUnixFileMode(entry, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }

            Directory.Delete(path, recursive: true);
        }

        return true;
    }

    public static void Write(string path, string content) => File.WriteAllText(path, content + "\n", s_utf8);

    private static string? ReadAll(string path)
    {
        try
        {
            return File.ReadAllText(path).TrimEnd('\n', '\r');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static string? ReadLine(string path)
    {
        string? text = ReadAll(path);
        if (text is null)
        {
            return null;
        }

        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        return (newline < 0 ? text : text[..newline]).TrimEnd('\r');
    }
}
