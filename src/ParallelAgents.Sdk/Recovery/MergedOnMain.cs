using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>Finds the merges a run made on the main branch from the trailers its merge commits carry
/// (<c>ParallelAgents-Task:</c> and <c>ParallelAgents-Run:</c>), so that a merge whose journal record was lost in a
/// crash is known to be done and is not made twice, whatever the merge strategy (a squash does not contain the branch).</summary>
internal static class MergedOnMain
{
    private const string TaskTrailer = "ParallelAgents-Task: ";
    private const string RunTrailer = "ParallelAgents-Run: ";

    /// <summary>The main branch commit that merged each task of <paramref name="runId"/>, newest first, following the
    /// first parents from the tip back to <paramref name="runBase"/> (or to the root).</summary>
    public static Dictionary<string, (string Commit, string? Branch)> Find(string repositoryPath, string mainBranch, string runId, string? runBase)
    {
        var found = new Dictionary<string, (string, string?)>(StringComparer.Ordinal);
        using var repository = new Repository(repositoryPath);
        Commit? current = repository.Branches[mainBranch]?.Tip;
        while (current is not null && current.Sha != runBase)
        {
            if (Trailer(current.Message, RunTrailer) == runId && Trailer(current.Message, TaskTrailer) is { } task)
            {
                found.TryAdd(task, (current.Sha, MergedBranch(current.MessageShort)));
            }

            current = current.Parents.FirstOrDefault();
        }

        return found;
    }

    /// <summary>Whether the main branch contains the tip of <paramref name="branch"/> while the branch holds work of
    /// <paramref name="runId"/>: a fast-forward merge leaves no merge commit to find, only the branch's own commits.</summary>
    /// <returns>The branch's tip when it was merged so; otherwise <see langword="null"/>.</returns>
    public static string? FastForwarded(string repositoryPath, string mainBranch, string branch, string runId)
    {
        using var repository = new Repository(repositoryPath);
        Commit? main = repository.Branches[mainBranch]?.Tip;
        Commit? tip = repository.Branches[branch]?.Tip;
        if (main is null || tip is null)
        {
            return null;
        }

        // The branch must have moved past where this run started it: a branch just made sits on a commit main has.
        string? start = WorktreeIsolationProvider.BaseOfRunOnBranch(repository, "refs/heads/" + branch, runId);
        return start is not null && start != tip.Sha && repository.ObjectDatabase.FindMergeBase(main, tip)?.Sha == tip.Sha ? tip.Sha : null;
    }

    /// <summary>The branch named in the merger's subject line: <c>Merge branch 'agent/x' into main (task x)</c>.</summary>
    private static string? MergedBranch(string subject)
    {
        int start = subject.IndexOf(" branch '", StringComparison.Ordinal);
        int end = start < 0 ? -1 : subject.IndexOf('\'', start + 9);
        return end < 0 ? null : subject[(start + 9)..end];
    }

    private static string? Trailer(string message, string name)
    {
        int at = message.LastIndexOf("\n" + name, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        int start = at + 1 + name.Length;
        int end = message.IndexOf('\n', start);
        return (end < 0 ? message[start..] : message[start..end]).Trim();
    }
}
