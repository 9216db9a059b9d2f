using System.Text;

namespace ParallelAgents.Sdk;

/// <summary>
/// The files of a workspace, sandboxed: every path is relative to <see cref="RootPath"/> and must stay inside it.
/// <c>..</c> that leads out, absolute paths, symbolic links that lead out and anything under <c>.git</c> are refused
/// with a <see cref="WorkspacePathException"/> that says which path and why.
/// </summary>
/// <remarks>
/// <c>..</c> is resolved on the text of the path (<c>a/../b</c> is <c>b</c>); symbolic links are then followed on
/// disk and the real path must still be inside the workspace's real root, outside <c>.git</c>. The checks guard the
/// file API against mistakes and against agents that try paths outside their workspace; they do not confine the
/// commands a workspace runs, which have the host's file system unless the provider runs them in a container.
/// </remarks>
public sealed class WorkspaceFiles
{
    private const int MaxSymbolicLinks = 40;
    private const string Advice = "Use a path relative to the workspace root, such as src/app.js.";

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private readonly string _realRoot;

    /// <summary>Makes the sandboxed file API of the folder <paramref name="rootPath"/>.</summary>
    /// <param name="rootPath">The workspace's root folder; it must exist.</param>
    /// <exception cref="DirectoryNotFoundException">No folder is at <paramref name="rootPath"/>.</exception>
    public WorkspaceFiles(string rootPath)
    {
        ArgumentNullException.ThrowIfNull(rootPath);
        if (string.IsNullOrWhiteSpace(rootPath))
        {
            throw new ArgumentException("The workspace root is empty; give the full path of the workspace's folder.", nameof(rootPath));
        }

        RootPath = TrimSeparator(Path.GetFullPath(rootPath));
        if (!Directory.Exists(RootPath))
        {
            throw new DirectoryNotFoundException($"The workspace root '{RootPath}' is not an existing folder; make the folder before opening its files.");
        }

        // The root itself may be reached through links (/tmp is /private/tmp on macOS): compare real paths.
        int links = 0;
        _realRoot = TrimSeparator(RealPath(RootPath, ref links) ?? RootPath);
    }

    /// <summary>The workspace's root folder, a full path.</summary>
    public string RootPath { get; }

    /// <summary>Resolves a workspace path to a full host path, checking that it stays inside the workspace.</summary>
    /// <param name="path">A path relative to the workspace root, with <c>/</c> or the platform's separators.</param>
    /// <returns>The full path.</returns>
    /// <exception cref="WorkspacePathException">The path leads outside the workspace or into <c>.git</c>.</exception>
    public string GetFullPath(string path) => Resolve(path, allowRoot: true).FullPath;

    /// <summary>Whether a file exists at <paramref name="path"/>.</summary>
    /// <param name="path">A path relative to the workspace root.</param>
    /// <returns><see langword="true"/> when a file (not a folder) is there.</returns>
    /// <exception cref="WorkspacePathException">The path leads outside the workspace or into <c>.git</c>.</exception>
    public bool FileExists(string path) => File.Exists(Resolve(path, allowRoot: true).RealPath);

    /// <summary>Reads a whole text file (UTF-8).</summary>
    /// <param name="path">A path relative to the workspace root.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The file's text.</returns>
    /// <exception cref="WorkspacePathException">The path leads outside the workspace or into <c>.git</c>.</exception>
    /// <exception cref="FileNotFoundException">No file is there.</exception>
    public async ValueTask<string> ReadAllTextAsync(string path, CancellationToken cancellationToken = default)
    {
        ResolvedPath resolved = Resolve(path, allowRoot: false);
        if (!File.Exists(resolved.RealPath))
        {
            string what = Directory.Exists(resolved.RealPath) ? "is a folder, not a file" : "does not exist";
            throw new FileNotFoundException($"The workspace file '{path}' {what}; list the workspace's files to find the right path.", resolved.FullPath);
        }

        return await File.ReadAllTextAsync(resolved.RealPath, Utf8NoBom, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a whole text file (UTF-8, no byte order mark), making its folders as needed.</summary>
    /// <param name="path">A path relative to the workspace root.</param>
    /// <param name="content">The text.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the file is written.</returns>
    /// <exception cref="WorkspacePathException">The path leads outside the workspace or into <c>.git</c>.</exception>
    /// <remarks>The text goes to a temporary file in the same folder that then replaces the file, so a reader sees
    /// the old text or the new, never half of it. A file's permissions (such as the executable bit) are kept. A
    /// symbolic link inside the workspace is written through: its target changes, the link stays.</remarks>
    public async ValueTask WriteAllTextAsync(string path, string content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ResolvedPath resolved = Resolve(path, allowRoot: false);
        string target = resolved.RealPath;
        if (Directory.Exists(target))
        {
            throw new IOException($"The workspace path '{path}' is a folder; a file cannot be written over it.");
        }

        string folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        string temp = Path.Join(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows() && File.Exists(target))
            {
                options.UnixCreateMode = File.GetUnixFileMode(target);
            }

            var stream = new FileStream(temp, options);
            await using (stream.ConfigureAwait(false))
            {
                var writer = new StreamWriter(stream, Utf8NoBom);
                await using (writer.ConfigureAwait(false))
                {
                    await writer.WriteAsync(content.AsMemory(), cancellationToken).ConfigureAwait(false);
                }
            }

            if (!OperatingSystem.IsWindows() && File.Exists(target))
            {
                // UnixCreateMode is masked by the umask; set the mode again so that it matches exactly.
                File.SetUnixFileMode(temp, File.GetUnixFileMode(target));
            }

            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Deletes a file.</summary>
    /// <param name="path">A path relative to the workspace root.</param>
    /// <param name="cancellationToken">Cancels the deletion.</param>
    /// <returns><see langword="true"/> when a file was deleted, <see langword="false"/> when none was there.</returns>
    /// <exception cref="WorkspacePathException">The path leads outside the workspace or into <c>.git</c>.</exception>
    /// <remarks>A symbolic link (inside the workspace) is deleted itself, not its target.</remarks>
    public ValueTask<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        ResolvedPath resolved = Resolve(path, allowRoot: false);
        cancellationToken.ThrowIfCancellationRequested();

        // The folders along the path are checked; the last name is removed as it is, so a link goes, not its target.
        var entry = new FileInfo(resolved.FullPath);
        if (entry.LinkTarget is null)
        {
            if (Directory.Exists(resolved.FullPath))
            {
                throw new IOException($"The workspace path '{path}' is a folder; DeleteAsync deletes files only.");
            }

            if (!entry.Exists)
            {
                return ValueTask.FromResult(false);
            }
        }

        entry.Delete();
        return ValueTask.FromResult(true);
    }

    /// <summary>Lists the files under a folder of the workspace, skipping <c>.git</c>.</summary>
    /// <param name="directory">A folder relative to the workspace root; <see langword="null"/> or empty for the root.</param>
    /// <param name="recursive">Whether to list the files of sub-folders too.</param>
    /// <param name="maxEntries">The most paths returned.</param>
    /// <returns>Paths relative to the workspace root with <c>/</c> separators, in ordinal order.</returns>
    /// <exception cref="WorkspacePathException">The folder leads outside the workspace or into <c>.git</c>.</exception>
    /// <exception cref="DirectoryNotFoundException">No folder is at <paramref name="directory"/>.</exception>
    /// <remarks>A symbolic link to a file inside the workspace is listed; links that lead out are left out, and
    /// linked folders are not entered (as git, which stores the link, not the files behind it).</remarks>
    public IReadOnlyList<string> ListFiles(string? directory = null, bool recursive = true, int maxEntries = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        ResolvedPath start = ResolveDirectory(directory);
        if (!Directory.Exists(start.RealPath))
        {
            throw new DirectoryNotFoundException($"The workspace folder '{directory}' does not exist; list the workspace root to find the right path.");
        }

        var files = new List<string>();
        string prefix = start.Relative.Length == 0 ? "" : start.Relative + "/";
        List(start.RealPath, prefix, recursive, maxEntries, files);
        return files;
    }

    /// <summary>Resolves a folder for commands and listings: <see langword="null"/> or empty is the root.</summary>
    internal ResolvedPath ResolveDirectory(string? directory) =>
        string.IsNullOrEmpty(directory) ? new ResolvedPath("", RootPath, _realRoot) : Resolve(directory, allowRoot: true);

    internal ResolvedPath Resolve(string path, bool allowRoot)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw Refused(path, "is empty");
        }

        foreach (char c in path)
        {
            if (c == '\0')
            {
                throw Refused(path, "contains a NUL character");
            }

            if (char.IsControl(c))
            {
                throw Refused(path, $"contains the control character U+{(int)c:X4}");
            }

            if (OperatingSystem.IsWindows() && c is '<' or '>' or ':' or '"' or '|' or '?' or '*')
            {
                throw Refused(path, $"contains '{c}', which Windows does not allow in file names");
            }
        }

        if (IsAbsolute(path))
        {
            throw Refused(path, "is absolute");
        }

        var parts = new List<string>();
        foreach (string part in path.Split('/', '\\'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    throw Refused(path, "leads out of the workspace through '..'");
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            if (IsGitName(part))
            {
                throw Refused(path, "is inside .git, which is off limits");
            }

            parts.Add(part);
        }

        if (parts.Count == 0 && !allowRoot)
        {
            throw Refused(path, "names the workspace root, not a file");
        }

        string relative = string.Join('/', parts);
        string full = parts.Count == 0 ? RootPath : Path.Join(RootPath, string.Join(Path.DirectorySeparatorChar, parts));

        int links = 0;
        string? real = Walk(_realRoot, parts, ref links);
        if (real is null)
        {
            throw Refused(path, $"goes through more than {MaxSymbolicLinks} symbolic links (a loop?)");
        }

        string? inside = RelativeToRoot(real);
        if (inside is null)
        {
            throw Refused(path, "leads out of the workspace through a symbolic link");
        }

        if (inside.Split(Path.DirectorySeparatorChar).Any(IsGitName))
        {
            throw Refused(path, "leads into .git through a symbolic link, and .git is off limits");
        }

        return new ResolvedPath(relative, full, real);
    }

    private void List(string folder, string prefix, bool recursive, int maxEntries, List<string> files)
    {
        // Sorting each folder by name, with '/' after a sub-folder's name, makes the depth-first walk produce the
        // paths in ordinal order, so the walk can stop at maxEntries without collecting everything.
        var entries = new List<(string Key, string Name, bool IsFolder)>();
        foreach (FileSystemInfo entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            string name = entry.Name;
            if (IsGitName(name))
            {
                continue;
            }

            if (entry.LinkTarget is not null)
            {
                int links = 0;
                string? real = Walk(folder, [name], ref links);
                string? inside = real is null ? null : RelativeToRoot(real);
                if (inside is not null && !inside.Split(Path.DirectorySeparatorChar).Any(IsGitName) && File.Exists(real))
                {
                    entries.Add((name, name, false));
                }
            }
            else if (entry is DirectoryInfo)
            {
                if (recursive)
                {
                    entries.Add((name + "/", name, true));
                }
            }
            else
            {
                entries.Add((name, name, false));
            }
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach ((_, string name, bool isFolder) in entries)
        {
            if (files.Count >= maxEntries)
            {
                return;
            }

            if (isFolder)
            {
                List(Path.Join(folder, name), prefix + name + "/", recursive, maxEntries, files);
            }
            else
            {
                files.Add(prefix + name);
            }
        }
    }

    /// <summary>The real path's part under the real root (empty for the root itself), or null when it is outside.</summary>
    private string? RelativeToRoot(string real)
    {
        real = TrimSeparator(real);
        if (string.Equals(real, _realRoot, PathComparison))
        {
            return "";
        }

        string rootWithSeparator = Path.EndsInDirectorySeparator(_realRoot) ? _realRoot : _realRoot + Path.DirectorySeparatorChar;
        return real.StartsWith(rootWithSeparator, PathComparison) ? real[rootWithSeparator.Length..] : null;
    }

    /// <summary>The real path of a full path: every symbolic link along it followed; the part past the deepest
    /// existing folder is kept as written. Null when the links nest deeper than <see cref="MaxSymbolicLinks"/>.</summary>
    private static string? RealPath(string fullPath, ref int links)
    {
        string root = Path.GetPathRoot(fullPath)!;
        return Walk(root, fullPath[root.Length..].Split('/', Path.DirectorySeparatorChar), ref links);
    }

    /// <summary>Follows <paramref name="parts"/> from <paramref name="current"/>, a real path, on disk.</summary>
    private static string? Walk(string current, IEnumerable<string> parts, ref int links)
    {
        bool missing = false;
        foreach (string part in parts)
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                // current is real here, so its parent is the physical parent, as the OS would take it.
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            string candidate = Path.Join(current, part);
            if (missing)
            {
                current = candidate;
                continue;
            }

            string? target = new FileInfo(candidate).LinkTarget;
            if (target is not null)
            {
                if (++links > MaxSymbolicLinks)
                {
                    return null;
                }

                string? resolved = Path.IsPathRooted(target)
                    ? RealPath(Path.GetFullPath(target), ref links)
                    : Walk(current, target.Split('/', Path.DirectorySeparatorChar), ref links);
                if (resolved is null)
                {
                    return null;
                }

                current = resolved;
                continue;
            }

            current = candidate;
            missing = !File.Exists(candidate) && !Directory.Exists(candidate);
        }

        return current;
    }

    private static bool IsAbsolute(string path) =>
        path[0] is '/' or '\\'
        || (path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':')
        || Path.IsPathRooted(path);

    // Windows drops trailing dots and spaces from names, so ".git." and ".git " reach .git there, and "git~1" is its
    // short name; refused everywhere, as git itself does, so that a path means the same on every platform.
    private static bool IsGitName(string name)
    {
        string trimmed = name.TrimEnd('.', ' ');
        return trimmed.Equals(".git", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("git~1", StringComparison.OrdinalIgnoreCase);
    }

    private static string TrimSeparator(string path) => Path.TrimEndingDirectorySeparator(path);

    private static WorkspacePathException Refused(string path, string reason) =>
        new(path, $"The workspace path '{path}' {reason}. {Advice}");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The failure that brought us here is the one to report.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    /// <summary>A checked path: relative with '/' separators, full (as the user sees it) and real (links followed).</summary>
    internal readonly record struct ResolvedPath(string Relative, string FullPath, string RealPath);
}
