using System.Diagnostics;
using System.Globalization;

namespace ParallelAgents.Sdk;

/// <summary>
/// A process told apart from any later process that reuses its id: the id plus a start token (on Linux the boot's id
/// and the start time in clock ticks from <c>/proc</c>, elsewhere the start time to the second) and the host name.
/// </summary>
internal readonly record struct ProcessIdentity(int ProcessId, string StartToken, string Host)
{
    private static readonly Lazy<ProcessIdentity> s_current = new(() =>
    {
        int pid = Environment.ProcessId;
        return new ProcessIdentity(pid, StartTokenOf(pid) ?? "unknown", HostName());
    });

    public static ProcessIdentity Current => s_current.Value;

    /// <summary>Whether the process is still running. A process on another host, or one whose start cannot be read,
    /// counts as alive: the sweeper must never remove a live run's worktree, while a dead one it misses is only
    /// left for later.</summary>
    public bool IsAlive()
    {
        if (!string.Equals(Host, HostName(), StringComparison.Ordinal))
        {
            return true;
        }

        if (ProcessId == Environment.ProcessId)
        {
            return string.Equals(StartToken, Current.StartToken, StringComparison.Ordinal);
        }

        string? token;
        try
        {
            token = StartTokenOf(ProcessId);
        }
#pragma warning disable CA1031 // Any failure to read the process means its state is unknown, which counts as alive.
        catch (Exception)
#pragma warning restore CA1031
        {
            return true;
        }

        return token is not null && string.Equals(token, StartToken, StringComparison.Ordinal);
    }

    /// <summary>The process's start token, or <see langword="null"/> when no such process runs (a zombie counts as
    /// ended: it runs nothing and only waits for its parent to collect it).</summary>
    private static string? StartTokenOf(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            string stat;
            try
            {
                stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }

            // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' are plain.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] is "Z" or "X")
            {
                return null;
            }

            // fields[0] is field 3 (state), so field 22 (start time in clock ticks since boot) is fields[19].
            return BootId() + ":" + fields[19];
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return null;
            }

            return (process.StartTime.ToUniversalTime().Ticks / TimeSpan.TicksPerSecond).ToString(CultureInfo.InvariantCulture);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static readonly Lazy<string> s_bootId = new(() =>
    {
        try
        {
            string id = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            return id.Length > 8 ? id[..8] : id;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "boot";
        }
    });

    private static string BootId() => s_bootId.Value;

    private static string HostName()
    {
        string name = Environment.MachineName;
        return string.IsNullOrEmpty(name) ? "localhost" : name.Replace(' ', '_');
    }
}
