using System.Globalization;

namespace ParallelAgents.Sdk.Docker;

/// <summary>The numeric user a container runs as, and what the host's worktree needs so that this user can write it.</summary>
internal readonly record struct ContainerUser(long Uid, long Gid)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Uid}:{Gid}");

    /// <summary>What is wrong with a <c>uid:gid</c> text, or <see langword="null"/>.</summary>
    public static string? Check(string user)
    {
        if (!TryParse(user, out ContainerUser parsed))
        {
            return "must be numeric 'uid:gid', such as '1000:1000'";
        }

        return parsed.Uid == 0 ? "is root; give a user that is not root, such as '1000:1000'" : null;
    }

    public static ContainerUser Parse(string user) =>
        TryParse(user, out ContainerUser parsed) ? parsed : throw new FormatException($"'{user}' is not 'uid:gid'.");

    /// <summary>The host process's own user (from <c>/proc/self/status</c> on Linux), or <see langword="null"/> where it
    /// cannot be read.</summary>
    public static ContainerUser? Host()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            long? uid = null, gid = null;
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                // "Uid:\treal\teffective\tsaved\tfs": the effective ids decide what the process may touch.
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    uid = long.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("Gid:", StringComparison.Ordinal))
                {
                    gid = long.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
                }
            }

            return uid is { } u && gid is { } g ? new ContainerUser(u, g) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The default user: the host's own when it is not root; under root, 1000 in root's group, which the
    /// worktree is opened to (a group only root is in, rather than everyone).</summary>
    public static ContainerUser Default(ContainerUser? host) => host switch
    {
        { Uid: not 0 } h => h,
        { } h => new ContainerUser(1000, h.Gid),
        null => new ContainerUser(1000, 1000),
    };

    private static bool TryParse(string user, out ContainerUser parsed)
    {
        parsed = default;
        string[] parts = user.Split(':');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long uid)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long gid)
            || uid > uint.MaxValue - 1 || gid > uint.MaxValue - 1)
        {
            return false;
        }

        parsed = new ContainerUser(uid, gid);
        return true;
    }
}
