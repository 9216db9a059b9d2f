using System.Globalization;
using System.Text;

namespace ParallelAgents.Sdk;

/// <summary>
/// Reads and moves branch refs with git's own lock-file protocol, so that advancing the main branch is a true
/// compare-and-swap against the commit the merge was computed on (lock, compare, write, rename). LibGit2Sharp's <c>Refs.UpdateTarget</c> re-reads the
/// ref before it writes, so it cannot tell that another process moved the branch after the merge was computed.
/// git and libgit2 take the same <c>&lt;ref&gt;.lock</c> file, so the swap is safe against both.
/// </summary>
internal static class RefStore
{
    /// <summary>How a compare-and-swap ended.</summary>
    internal enum SwapOutcome
    {
        Swapped,
        Moved,
        Locked,
    }

    /// <summary>Whether <paramref name="name"/> is a branch name git accepts (<c>git check-ref-format --branch</c>).</summary>
    public static bool IsValidBranchName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name == "@" || name[0] is '-' or '/' || name[^1] is '/' or '.' ||
            name.Contains("..", StringComparison.Ordinal) || name.Contains("//", StringComparison.Ordinal) ||
            name.Contains("@{", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (c < 0x20 || c == 0x7f || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\')
            {
                return false;
            }
        }

        foreach (string part in name.Split('/'))
        {
            if (part.StartsWith('.') || part.EndsWith(".lock", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The commit id a ref points at (loose file first, then <c>packed-refs</c>), or <see langword="null"/>.</summary>
    public static string? Read(string commonDir, string refName)
    {
        string loose = Path.Combine(commonDir, refName);
        if (File.Exists(loose))
        {
            string text = File.ReadAllText(loose).Trim();
            if (text.StartsWith("ref:", StringComparison.Ordinal))
            {
                return Read(commonDir, text[4..].Trim());
            }

            return text.Length >= 40 ? text : null;
        }

        string packed = Path.Combine(commonDir, "packed-refs");
        if (!File.Exists(packed))
        {
            return null;
        }

        foreach (string line in File.ReadLines(packed))
        {
            if (line.Length > 41 && line[0] is not '#' and not '^' && line.AsSpan(41).SequenceEqual(refName))
            {
                return line[..40];
            }
        }

        return null;
    }

    /// <summary>Takes the ref's lock (<c>&lt;ref&gt;.lock</c>, as git does) if the ref still points at
    /// <paramref name="expected"/>: while it is held, no git command, libgit2 or merger can move the ref, and
    /// <see cref="Held.Publish"/> moves it. Disposing an unpublished lock releases it and leaves the ref as it was.</summary>
    public static SwapOutcome TryLock(string commonDir, string refName, string expected, out Held? held)
    {
        held = null;
        string refPath = Path.Combine(commonDir, refName);
        string lockPath = refPath + ".lock";
        Directory.CreateDirectory(Path.GetDirectoryName(refPath)!);
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            return SwapOutcome.Locked;
        }

        if (!string.Equals(Read(commonDir, refName), expected, StringComparison.OrdinalIgnoreCase))
        {
            stream.Dispose();
            File.Delete(lockPath);
            return SwapOutcome.Moved;
        }

        held = new Held(commonDir, refName, expected, refPath, lockPath, stream);
        return SwapOutcome.Swapped;
    }

    /// <summary>A ref's lock, held.</summary>
    internal sealed class Held(string commonDir, string refName, string expected, string refPath, string lockPath, FileStream stream) : IDisposable
    {
        private bool _done;

        /// <summary>Writes <paramref name="next"/> as the ref's value and releases the lock by renaming it over the ref.</summary>
        public void Publish(string next, string committerName, string committerEmail, DateTimeOffset when, string message)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            stream.Write(Encoding.ASCII.GetBytes(next + "\n"));
            stream.Flush(flushToDisk: true);
            stream.Dispose();
            File.Move(lockPath, refPath, overwrite: true);
            _done = true;
            AppendReflog(commonDir, refName, expected, next, committerName, committerEmail, when, message);
        }

        public void Dispose()
        {
            if (_done)
            {
                return;
            }

            _done = true;
            stream.Dispose();
            File.Delete(lockPath);
        }
    }

    private static void AppendReflog(
        string commonDir, string refName, string old, string next, string name, string email, DateTimeOffset when, string message)
    {
        // git keeps a reflog for a branch once its log file exists (core.logAllRefUpdates makes it for new branches
        // of non-bare repositories); a branch without one gets none, as with git update-ref.
        string logPath = Path.Combine(commonDir, "logs", refName);
        if (!File.Exists(logPath))
        {
            return;
        }

        TimeSpan offset = when.Offset;
        string zone = string.Create(CultureInfo.InvariantCulture, $"{(offset < TimeSpan.Zero ? '-' : '+')}{Math.Abs(offset.Hours):00}{Math.Abs(offset.Minutes):00}");
        string line = string.Create(
            CultureInfo.InvariantCulture,
            $"{old} {next} {name} <{email}> {when.ToUnixTimeSeconds()} {zone}\t{message.ReplaceLineEndings(" ")}\n");
        File.AppendAllText(logPath, line);
    }
}
