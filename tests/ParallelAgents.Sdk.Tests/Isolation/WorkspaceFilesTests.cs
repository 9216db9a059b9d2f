using System.Runtime.Versioning;
using System.Text;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Isolation;

public sealed class WorkspaceFilesTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _root;
    private readonly string _outside;
    private readonly WorkspaceFiles _files;

    public WorkspaceFilesTests()
    {
        _root = _temp.Combine("workspace");
        _outside = _temp.Combine("outside");
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "outside");

        // In a worktree .git is a file pointing at the repository.
        File.WriteAllText(Path.Combine(_root, ".git"), "gitdir: /somewhere/.git/worktrees/x\n");
        _files = new WorkspaceFiles(_root);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("..", "leads out of the workspace through '..'")]
    [InlineData("../outside/secret.txt", "leads out of the workspace through '..'")]
    [InlineData("a/../../x", "leads out of the workspace through '..'")]
    [InlineData("a\\..\\..\\x", "leads out of the workspace through '..'")]
    [InlineData("/etc/passwd", "is absolute")]
    [InlineData("\\etc\\passwd", "is absolute")]
    [InlineData("C:\\Windows\\win.ini", "is absolute")]
    [InlineData("c:relative", "is absolute")]
    [InlineData("\\\\server\\share\\x", "is absolute")]
    [InlineData("//server/share/x", "is absolute")]
    [InlineData(".git/config", "is inside .git")]
    [InlineData(".GIT/HEAD", "is inside .git")]
    [InlineData(".git", "is inside .git")]
    [InlineData("sub/.git/config", "is inside .git")]
    [InlineData(".git./config", "is inside .git")]
    [InlineData("GIT~1/config", "is inside .git")]
    [InlineData("", "is empty")]
    [InlineData("   ", "is empty")]
    [InlineData("a\0b", "contains a NUL character")]
    [InlineData("a\nb", "contains the control character U+000A")]
    public void GetFullPath_Escape_IsRefusedWithPathReasonAndAdvice(string path, string reason)
    {
        var error = Assert.Throws<WorkspacePathException>(() => _files.GetFullPath(path));

        Assert.Equal(path, error.Path);
        Assert.Contains($"'{path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("Use a path relative to the workspace root, such as src/app.js.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetFullPath_Null_Throws() =>
        Assert.Throws<ArgumentNullException>(() => _files.GetFullPath(null!));

    [Theory]
    [InlineData("src/app.js", "src/app.js")]
    [InlineData("./src/app.js", "src/app.js")]
    [InlineData("a/../b.txt", "b.txt")]
    [InlineData("src\\app.js", "src/app.js")]
    [InlineData("src//app.js", "src/app.js")]
    [InlineData(".github/workflows/ci.yml", ".github/workflows/ci.yml")]
    [InlineData(".gitignore", ".gitignore")]
    [InlineData("not.git/x", "not.git/x")]
    [InlineData(".", "")]
    public void GetFullPath_Inside_ResolvesUnderTheRoot(string path, string relative)
    {
        string expected = relative.Length == 0 ? _root : Path.Combine([_root, .. relative.Split('/')]);

        Assert.Equal(expected, _files.GetFullPath(path));
    }

    [Fact]
    public async Task Files_PathUnderAFile_ResolvesButCannotBeWritten()
    {
        await _files.WriteAllTextAsync("a.txt", "x", Ct);

        Assert.Equal(Path.Combine(_root, "a.txt", "b"), _files.GetFullPath("a.txt/b"));
        Assert.False(_files.FileExists("a.txt/b"));
        await Assert.ThrowsAsync<IOException>(() => _files.WriteAllTextAsync("a.txt/b", "y", Ct).AsTask());
        Assert.Equal("x", await _files.ReadAllTextAsync("a.txt", Ct));
    }

    [Fact]
    public void Constructor_MissingRoot_Throws()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => new WorkspaceFiles(_temp.Combine("missing")));

        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RootPath_IsFullWithoutTrailingSeparator()
    {
        var files = new WorkspaceFiles(_root + Path.DirectorySeparatorChar);

        Assert.Equal(_root, files.RootPath);
    }

    [Fact]
    public void GetFullPath_SymlinkToEtc_IsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "passwd"), "/etc/passwd");

        var error = Assert.Throws<WorkspacePathException>(() => _files.GetFullPath("passwd"));

        Assert.Contains("leads out of the workspace through a symbolic link", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_SymlinkedFolderLeadingOut_IsRefusedForEveryOperation()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "escape"), _outside);

        Assert.Throws<WorkspacePathException>(() => _files.GetFullPath("escape/secret.txt"));
        Assert.Throws<WorkspacePathException>(() => _files.FileExists("escape/secret.txt"));
        await Assert.ThrowsAsync<WorkspacePathException>(() => _files.ReadAllTextAsync("escape/secret.txt", Ct).AsTask());
        await Assert.ThrowsAsync<WorkspacePathException>(() => _files.WriteAllTextAsync("escape/new.txt", "x", Ct).AsTask());
        await Assert.ThrowsAsync<WorkspacePathException>(() => _files.DeleteAsync("escape/secret.txt", Ct).AsTask());
        Assert.Throws<WorkspacePathException>(() => _files.ListFiles("escape"));
        Assert.False(File.Exists(Path.Combine(_outside, "new.txt")));
        Assert.True(File.Exists(Path.Combine(_outside, "secret.txt")));
    }

    [Fact]
    public void GetFullPath_RelativeSymlinkLeadingOut_IsRefused()
    {
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "sub", "up"), "../../outside");

        Assert.Throws<WorkspacePathException>(() => _files.GetFullPath("sub/up/secret.txt"));
    }

    [Fact]
    public void GetFullPath_DanglingSymlinkLeadingOut_IsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "dangling"), Path.Combine(_outside, "not-yet.txt"));

        var error = Assert.Throws<WorkspacePathException>(() => _files.GetFullPath("dangling"));
        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAllTextAsync_ThroughDanglingSymlinkLeadingOut_WritesNothing()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "dangling"), Path.Combine(_outside, "not-yet.txt"));

        await Assert.ThrowsAsync<WorkspacePathException>(() => _files.WriteAllTextAsync("dangling", "x", Ct).AsTask());
        Assert.False(File.Exists(Path.Combine(_outside, "not-yet.txt")));
    }

    [Fact]
    public void GetFullPath_SymlinkChainLeadingOut_IsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "first"), "second");
        File.CreateSymbolicLink(Path.Combine(_root, "second"), "/etc/hostname");

        Assert.Throws<WorkspacePathException>(() => _files.GetFullPath("first"));
    }

    [Fact]
    public void GetFullPath_SymlinkLoop_IsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "loop1"), "loop2");
        File.CreateSymbolicLink(Path.Combine(_root, "loop2"), "loop1");

        var error = Assert.Throws<WorkspacePathException>(() => _files.GetFullPath("loop1"));
        Assert.Contains("symbolic links", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetFullPath_SymlinkIntoGit_IsRefused()
    {
        Directory.CreateDirectory(Path.Combine(_root, "nested", ".git"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "hooks"), "nested/.git");

        var error = Assert.Throws<WorkspacePathException>(() => _files.GetFullPath("hooks/config"));
        Assert.Contains(".git is off limits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_SymlinkInside_IsAllowedAndWrittenThrough()
    {
        Directory.CreateDirectory(Path.Combine(_root, "real"));
        await File.WriteAllTextAsync(Path.Combine(_root, "real", "a.txt"), "before", Ct);
        Directory.CreateSymbolicLink(Path.Combine(_root, "alias"), "real");
        File.CreateSymbolicLink(Path.Combine(_root, "a-link.txt"), Path.Combine(_root, "real", "a.txt"));

        Assert.Equal(Path.Combine(_root, "alias", "a.txt"), _files.GetFullPath("alias/a.txt"));
        Assert.True(_files.FileExists("alias/a.txt"));
        Assert.Equal("before", await _files.ReadAllTextAsync("alias/a.txt", Ct));

        await _files.WriteAllTextAsync("a-link.txt", "after", Ct);

        Assert.NotNull(new FileInfo(Path.Combine(_root, "a-link.txt")).LinkTarget);
        Assert.Equal("after", await File.ReadAllTextAsync(Path.Combine(_root, "real", "a.txt"), Ct));
    }

    [Fact]
    public void Constructor_RootReachedThroughSymlink_ComparesRealPaths()
    {
        string alias = _temp.Combine("alias-of-workspace");
        Directory.CreateSymbolicLink(alias, _root);
        Directory.CreateDirectory(Path.Combine(_root, "src"));
        File.CreateSymbolicLink(Path.Combine(_root, "abs-link"), Path.Combine(_root, "src"));

        var files = new WorkspaceFiles(alias);

        Assert.Equal(alias, files.RootPath);
        Assert.Equal(Path.Combine(alias, "abs-link", "x.js"), files.GetFullPath("abs-link/x.js"));
        Assert.Throws<WorkspacePathException>(() => files.GetFullPath("../outside/secret.txt"));
    }

    [Fact]
    public async Task WriteAllTextAsync_NewFile_MakesFoldersAndWritesUtf8WithoutBom()
    {
        await _files.WriteAllTextAsync("src/deep/app.js", "héllo ✓", Ct);

        byte[] bytes = await File.ReadAllBytesAsync(Path.Combine(_root, "src", "deep", "app.js"), Ct);
        Assert.Equal(Encoding.UTF8.GetBytes("héllo ✓"), bytes);
        Assert.True(_files.FileExists("src/deep/app.js"));
        Assert.Equal("héllo ✓", await _files.ReadAllTextAsync("src/deep/app.js", Ct));
        Assert.Equal(["src/deep/app.js"], _files.ListFiles());
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task WriteAllTextAsync_ExistingFile_ReplacesAndKeepsItsMode()
    {
        string script = Path.Combine(_root, "build.sh");
        await File.WriteAllTextAsync(script, "old", Ct);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        await _files.WriteAllTextAsync("build.sh", "#!/bin/sh\necho new\n", Ct);

        Assert.Equal("#!/bin/sh\necho new\n", await File.ReadAllTextAsync(script, Ct));
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(script));
        Assert.Equal(["build.sh"], _files.ListFiles());
    }

    [Fact]
    public async Task WriteAllTextAsync_WhileReadersRead_NeverShowsHalfAFile()
    {
        string a = new('a', 1_000_000);
        string b = new('b', 1_000_000);
        await _files.WriteAllTextAsync("big.txt", a, Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var seen = new List<string>();
        Task reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                string text = await File.ReadAllTextAsync(Path.Combine(_root, "big.txt"), Ct);
                if (text != a && text != b)
                {
                    seen.Add($"{text.Length} characters, starting '{text[..Math.Min(1, text.Length)]}'");
                }
            }
        }, Ct);

        for (int i = 0; i < 20; i++)
        {
            await _files.WriteAllTextAsync("big.txt", i % 2 == 0 ? b : a, Ct);
        }

        await stop.CancelAsync();
        await reader;
        Assert.Empty(seen);
        Assert.Equal(["big.txt"], _files.ListFiles());
    }

    [Fact]
    public async Task WriteAllTextAsync_OverFolder_ThrowsAndLeavesNoTemporaryFile()
    {
        Directory.CreateDirectory(Path.Combine(_root, "src"));

        await Assert.ThrowsAsync<IOException>(() => _files.WriteAllTextAsync("src", "x", Ct).AsTask());
        Assert.Empty(_files.ListFiles());
    }

    [Fact]
    public async Task WriteAllTextAsync_Root_IsRefused()
    {
        await Assert.ThrowsAsync<WorkspacePathException>(() => _files.WriteAllTextAsync(".", "x", Ct).AsTask());
    }

    [Fact]
    public async Task ReadAllTextAsync_Missing_ThrowsFileNotFound()
    {
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => _files.ReadAllTextAsync("nope.txt", Ct).AsTask());

        Assert.Contains("'nope.txt' does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAllTextAsync_FileWithBom_ReturnsTextWithoutIt()
    {
        await File.WriteAllBytesAsync(Path.Combine(_root, "bom.txt"), [0xEF, 0xBB, 0xBF, (byte)'h', (byte)'i'], Ct);

        Assert.Equal("hi", await _files.ReadAllTextAsync("bom.txt", Ct));
    }

    [Fact]
    public async Task DeleteAsync_File_DeletesItAndReportsWhetherOneWasThere()
    {
        await _files.WriteAllTextAsync("a/b.txt", "x", Ct);

        Assert.True(await _files.DeleteAsync("a/b.txt", Ct));
        Assert.False(File.Exists(Path.Combine(_root, "a", "b.txt")));
        Assert.False(await _files.DeleteAsync("a/b.txt", Ct));
        Assert.False(await _files.DeleteAsync("never/was.txt", Ct));
    }

    [Fact]
    public async Task DeleteAsync_SymlinkInside_DeletesTheLinkNotItsTarget()
    {
        await _files.WriteAllTextAsync("target.txt", "keep", Ct);
        File.CreateSymbolicLink(Path.Combine(_root, "link.txt"), "target.txt");

        Assert.True(await _files.DeleteAsync("link.txt", Ct));

        Assert.False(File.Exists(Path.Combine(_root, "link.txt")));
        Assert.Equal("keep", await _files.ReadAllTextAsync("target.txt", Ct));
    }

    [Fact]
    public async Task DeleteAsync_GitFile_IsRefusedAndKept()
    {
        await Assert.ThrowsAsync<WorkspacePathException>(() => _files.DeleteAsync(".git", Ct).AsTask());

        Assert.True(File.Exists(Path.Combine(_root, ".git")));
    }

    [Fact]
    public async Task DeleteAsync_Folder_Throws()
    {
        Directory.CreateDirectory(Path.Combine(_root, "src"));

        await Assert.ThrowsAsync<IOException>(() => _files.DeleteAsync("src", Ct).AsTask());
        Assert.True(Directory.Exists(Path.Combine(_root, "src")));
    }

    [Fact]
    public async Task ListFiles_Tree_ListsRelativeSlashPathsInOrdinalOrderSkippingGit()
    {
        foreach (string path in new[] { "b.txt", "a/z.txt", "a.txt", "a/b/c.txt", "B.txt", "a-b/x.txt", "sub/.GIT/HEAD", "sub/ok.txt" })
        {
            string full = Path.Combine([_root, .. path.Split('/')]);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, path, Ct);
        }

        Directory.CreateDirectory(Path.Combine(_root, "empty"));

        IReadOnlyList<string> all = _files.ListFiles();

        string[] expected = ["B.txt", "a-b/x.txt", "a.txt", "a/b/c.txt", "a/z.txt", "b.txt", "sub/ok.txt"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), expected);
        Assert.Equal(expected, all);
        Assert.Equal(["a/b/c.txt", "a/z.txt"], _files.ListFiles("a"));
        Assert.Equal(["a/z.txt"], _files.ListFiles("a", recursive: false));
        Assert.Equal(["B.txt", "a.txt", "b.txt"], _files.ListFiles(recursive: false));
        Assert.Equal(["B.txt", "a-b/x.txt", "a.txt"], _files.ListFiles(maxEntries: 3));
        Assert.Equal(["a/b/c.txt"], _files.ListFiles("./a/../a/b/"));
    }

    [Fact]
    public async Task ListFiles_Symlinks_ListsInsideFileLinksOnlyAndDoesNotFollowFolders()
    {
        await _files.WriteAllTextAsync("real/a.txt", "a", Ct);
        File.CreateSymbolicLink(Path.Combine(_root, "file-link.txt"), "real/a.txt");
        File.CreateSymbolicLink(Path.Combine(_root, "out-link.txt"), Path.Combine(_outside, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(_root, "dangling.txt"), "missing.txt");
        Directory.CreateSymbolicLink(Path.Combine(_root, "out-folder"), _outside);
        Directory.CreateSymbolicLink(Path.Combine(_root, "in-folder"), "real");
        Directory.CreateSymbolicLink(Path.Combine(_root, "real", "loop"), "..");

        Assert.Equal(["file-link.txt", "real/a.txt"], _files.ListFiles());
        Assert.Equal(["in-folder/a.txt"], _files.ListFiles("in-folder"));
    }

    [Fact]
    public void ListFiles_MissingFolder_Throws()
    {
        Assert.Throws<DirectoryNotFoundException>(() => _files.ListFiles("nope"));
    }

    [Theory]
    [InlineData(".git")]
    [InlineData("..")]
    [InlineData("/etc")]
    public void ListFiles_FolderOutside_IsRefused(string folder)
    {
        Assert.Throws<WorkspacePathException>(() => _files.ListFiles(folder));
    }

    [Fact]
    public void ListFiles_NonPositiveMax_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _files.ListFiles(maxEntries: 0));
    }
}
