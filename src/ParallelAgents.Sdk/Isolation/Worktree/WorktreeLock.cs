using System.Globalization;
using System.Text.RegularExpressions;

namespace ParallelAgents.Sdk;

/// <summary>
/// The reason written into a worktree's <c>locked</c> file: it marks the worktree as the provider's, names the run,
/// and names the process that owns it so that a sweeper can tell whether the run is still alive.
/// <c>git worktree list</c> shows it, and git will neither prune nor remove a locked worktree on its own.
/// </summary>
internal sealed partial record WorktreeLock(string RunId, ProcessIdentity Owner)
{
    /// <summary>The run id of the worktrees a warm pool keeps ready before any run asks for them.</summary>
    public const string PoolRunId = "warm-pool";

    private const string Marker = "parallel-agents";

    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"{Marker} run={RunId} pid={Owner.ProcessId} start={Owner.StartToken} host={Owner.Host}");

    public static WorktreeLock? TryParse(string? reason)
    {
        if (reason is null)
        {
            return null;
        }

        Match match = LockPattern().Match(reason.Trim());
        if (!match.Success || !int.TryParse(match.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            return null;
        }

        return new WorktreeLock(match.Groups["run"].Value, new ProcessIdentity(pid, match.Groups["start"].Value, match.Groups["host"].Value));
    }

    [GeneratedRegex(@"^parallel-agents run=(?<run>\S+) pid=(?<pid>\d{1,10}) start=(?<start>\S+) host=(?<host>\S+)$", RegexOptions.CultureInvariant)]
    private static partial Regex LockPattern();
}
