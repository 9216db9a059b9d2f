using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Docker.Tests.Isolation;

/// <summary>How a worktree is opened to a container user that is not its owner.</summary>
public sealed class WorktreeAccessTests
{
    [Theory]
    [InlineData(1000, 1000, 1000, 1000, "None")]
    [InlineData(1000, 0, 0, 0, "Group")]
    [InlineData(2000, 1000, 1000, 1000, "Group")]
    [InlineData(2000, 2000, 1000, 1000, "Everyone")]
    public void For_ContainerAndHostUsers_GivesTheNarrowestGrant(long uid, long gid, long hostUid, long hostGid, string expected)
    {
        Assert.Equal(expected, WorktreeAccess.For(new ContainerUser(uid, gid), new ContainerUser(hostUid, hostGid)).ToString());
    }

    [Fact]
    public void Default_UnderRoot_IsANonRootUserInRootsGroup_ElseTheHostUser()
    {
        Assert.Equal(new ContainerUser(1000, 0), ContainerUser.Default(new ContainerUser(0, 0)));
        Assert.Equal(new ContainerUser(1234, 99), ContainerUser.Default(new ContainerUser(1234, 99)));
        Assert.Equal(new ContainerUser(1000, 1000), ContainerUser.Default(null));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Grant_Group_OpensFilesAndFoldersButNotLinksTargetsOrTheGitFile()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes only.");
        using var worktree = new TempFolder();
        using var outside = new TempFolder();
        string target = outside.Combine("target.txt");
        File.WriteAllText(target, "outside\n");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.CreateDirectory(worktree.Combine("src"));
        File.WriteAllText(worktree.Combine("src", "app.sh"), "echo\n");
        File.SetUnixFileMode(worktree.Combine("src", "app.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(worktree.Combine(".git"), "gitdir: /repo/.git/worktrees/x\n");
        File.SetUnixFileMode(worktree.Combine(".git"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.CreateSymbolicLink(worktree.Combine("link.txt"), target);

        WorktreeAccess.Grant(worktree.Path, WorktreeGrant.Group);

        Assert.True(File.GetUnixFileMode(worktree.Path).HasFlag(UnixFileMode.GroupWrite | UnixFileMode.GroupExecute));
        Assert.True(File.GetUnixFileMode(worktree.Combine("src")).HasFlag(UnixFileMode.GroupWrite | UnixFileMode.GroupExecute));
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            File.GetUnixFileMode(worktree.Combine("src", "app.sh")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(worktree.Combine(".git")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
        Assert.False(File.GetUnixFileMode(worktree.Path).HasFlag(UnixFileMode.OtherWrite));
    }
}
