using System.Text;
using System.Text.RegularExpressions;

namespace ParallelAgents.Sdk;

/// <summary>Copies files git does not track (such as <c>.env</c>) from the user's working tree into a new worktree.</summary>
/// <remarks>Patterns are relative paths with <c>/</c> separators; <c>*</c> and <c>?</c> match within one name and
/// <c>**</c> matches any number of folders. The walk starts at the pattern's fixed leading folders and only recurses
/// for <c>**</c>, so that <c>.env</c> costs one <c>stat</c> and not a walk of the whole tree.</remarks>
internal sealed class UntrackedFileCopier
{
    private readonly string[][] _patterns;

    public UntrackedFileCopier(IEnumerable<string> patterns) =>
        _patterns = [.. patterns.Select(p => p.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))];

    public bool IsEmpty => _patterns.Length == 0;

    /// <summary>What is wrong with a pattern, or <see langword="null"/> when it is usable.</summary>
    public static string? Check(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return "must be a path such as '.env'";
        }

        string normal = pattern.Replace('\\', '/');
        if (normal.StartsWith('/') || Path.IsPathRooted(pattern))
        {
            return "must be relative to the repository's root, not absolute";
        }

        string[] segments = normal.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
        {
            return "must name a file";
        }

        if (segments.Any(s => s is "." or ".."))
        {
            return "must not contain '.' or '..' folders";
        }

        if (segments[0].Equals(".git", StringComparison.OrdinalIgnoreCase))
        {
            return "must not reach into .git";
        }

        return segments[^1] == "**" ? "must end with a file name or pattern, not '**'" : null;
    }

    /// <summary>Copies the matching files of <paramref name="sourceRoot"/> that <paramref name="isTracked"/> rejects.</summary>
    /// <param name="sourceRoot">The user's working tree.</param>
    /// <param name="targetRoot">The new worktree.</param>
    /// <param name="isTracked">Whether a relative path is tracked by the worktree's commit; tracked files are never
    /// overwritten with the user's copy.</param>
    /// <param name="skipFolder">A folder not to walk into (the worktrees folder when it lies inside the working tree).</param>
    /// <returns>The relative paths copied, with <c>/</c> separators.</returns>
    public IReadOnlyList<string> Copy(string sourceRoot, string targetRoot, Func<string, bool> isTracked, string? skipFolder)
    {
        if (_patterns.Length == 0)
        {
            return [];
        }

        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string[] pattern in _patterns)
        {
            Match(sourceRoot, "", pattern, 0, skipFolder, found);
        }

        var copied = new List<string>(found.Count);
        foreach (string relative in found)
        {
            if (isTracked(relative))
            {
                continue;
            }

            string target = Path.Combine(targetRoot, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(sourceRoot, relative), target, overwrite: true);
            copied.Add(relative);
        }

        return copied;
    }

    private static void Match(string folder, string relative, string[] pattern, int index, string? skipFolder, SortedSet<string> found)
    {
        string segment = pattern[index];
        bool last = index == pattern.Length - 1;
        if (segment == "**")
        {
            // '**' matches no folder at all, or any sub-folder followed by the rest of the pattern.
            Match(folder, relative, pattern, index + 1, skipFolder, found);
            foreach (string child in SubFolders(folder, skipFolder))
            {
                Match(child, Join(relative, Path.GetFileName(child)), pattern, index, skipFolder, found);
            }

            return;
        }

        if (!HasWildcard(segment))
        {
            string path = Path.Combine(folder, segment);
            if (last)
            {
                if (File.Exists(path))
                {
                    found.Add(Join(relative, segment));
                }
            }
            else if (Directory.Exists(path) && !IsSkipped(path, skipFolder))
            {
                Match(path, Join(relative, segment), pattern, index + 1, skipFolder, found);
            }

            return;
        }

        Regex regex = ToRegex(segment);
        IEnumerable<string> candidates = last ? SafeEnumerate(() => Directory.EnumerateFiles(folder)) : SubFolders(folder, skipFolder);
        foreach (string candidate in candidates)
        {
            string name = Path.GetFileName(candidate);
            if (!regex.IsMatch(name))
            {
                continue;
            }

            if (last)
            {
                found.Add(Join(relative, name));
            }
            else
            {
                Match(candidate, Join(relative, name), pattern, index + 1, skipFolder, found);
            }
        }
    }

    private static IEnumerable<string> SubFolders(string folder, string? skipFolder) =>
        SafeEnumerate(() => Directory.EnumerateDirectories(folder))
            .Where(d => !Path.GetFileName(d).Equals(".git", StringComparison.Ordinal) && !IsSkipped(d, skipFolder));

    private static IEnumerable<string> SafeEnumerate(Func<IEnumerable<string>> enumerate)
    {
        try
        {
            return [.. enumerate()];
        }
        catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static bool IsSkipped(string path, string? skipFolder) =>
        skipFolder is not null && string.Equals(Path.TrimEndingDirectorySeparator(path), skipFolder, StringComparison.Ordinal);

    private static bool HasWildcard(string segment) => segment.AsSpan().IndexOfAny('*', '?') >= 0;

    private static string Join(string relative, string name) => relative.Length == 0 ? name : relative + "/" + name;

    private static Regex ToRegex(string segment)
    {
        var builder = new StringBuilder("^");
        foreach (char c in segment)
        {
            builder.Append(c switch
            {
                '*' => ".*",
                '?' => ".",
                _ => Regex.Escape(c.ToString()),
            });
        }

        return new Regex(builder.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }
}
