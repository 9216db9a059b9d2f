namespace ParallelAgents.Sdk.Docker;

/// <summary>Opens a worktree made by the host user to the container's user, when they differ.</summary>
internal static class WorktreeAccess
{
    private const UnixFileMode GroupFile = UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
    private const UnixFileMode GroupFolder = GroupFile | UnixFileMode.GroupExecute;
    private const UnixFileMode OtherFile = UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
    private const UnixFileMode OtherFolder = OtherFile | UnixFileMode.OtherExecute;

    /// <summary>Who must be given write access to the worktree for <paramref name="user"/> to write it.</summary>
    public static WorktreeGrant For(ContainerUser user, ContainerUser? host) =>
        host is not { } h || user.Uid == h.Uid ? WorktreeGrant.None
        : user.Gid == h.Gid ? WorktreeGrant.Group
        : WorktreeGrant.Everyone;

    /// <summary>Adds read and write (and search, on folders) for the group or for everyone to every file and folder of
    /// the worktree. Links are left alone, so nothing outside the worktree changes; the <c>.git</c> file is left alone,
    /// so that it stays the host's (it is also mounted read-only). Git records only the owner's execute bit, so no file
    /// shows as changed.</summary>
    public static void Grant(string root, WorktreeGrant grant)
    {
        if (grant == WorktreeGrant.None || OperatingSystem.IsWindows())
        {
            return;
        }

        (UnixFileMode file, UnixFileMode folder) = grant == WorktreeGrant.Group ? (GroupFile, GroupFolder) : (OtherFile, OtherFolder);
        var pending = new Stack<DirectoryInfo>();
        var top = new DirectoryInfo(root);
        top.UnixFileMode |= folder;
        pending.Push(top);
        while (pending.Count > 0)
        {
            DirectoryInfo current = pending.Pop();
            foreach (FileSystemInfo entry in current.EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is not null || (ReferenceEquals(current, top) && entry.Name == ".git"))
                {
                    continue;
                }

                if (entry is DirectoryInfo directory)
                {
                    directory.UnixFileMode |= folder;
                    pending.Push(directory);
                }
                else
                {
                    entry.UnixFileMode |= file;
                }
            }
        }
    }
}
