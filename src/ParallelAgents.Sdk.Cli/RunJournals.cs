using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk.Cli;

/// <summary>The runs an engine on a repository journaled (<c>.git/parallel-agents/runs/&lt;run-id&gt;/journal.jsonl</c>
/// by default): what <c>status</c> shows and <c>resume</c> finishes.</summary>
internal static class RunJournals
{
    /// <summary>The state folder of the engine on <paramref name="repository"/>.</summary>
    public static string StateDirectory(string repository) =>
        RunStateDirectory.Resolve(null, repository)
        ?? throw new CliUsageException($"{repository} is not a git repository, so it has no run journals; give the repository with --repo.");

    /// <summary>The ids of the journaled runs, oldest first (run ids begin with their start time).</summary>
    public static IReadOnlyList<string> Ids(string stateDirectory)
    {
        string runs = Path.Combine(stateDirectory, "runs");
        return Directory.Exists(runs)
            ? [.. Directory.EnumerateDirectories(runs)
                .Where(d => File.Exists(Path.Combine(d, RunJournal.FileName)))
                .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)]
            : [];
    }

    /// <summary>Reads the journal of <paramref name="runId"/>.</summary>
    /// <exception cref="CliUsageException">No run has that id; the message lists the latest.</exception>
    public static RunJournalState Read(string stateDirectory, string runId)
    {
        string path = RunJournal.PathFor(stateDirectory, runId);
        if (runId.IndexOfAny(['/', '\\']) >= 0 || !File.Exists(path))
        {
            IReadOnlyList<string> known = Ids(stateDirectory);
            throw new CliUsageException(
                $"No run '{runId}' has a journal in {Path.Combine(stateDirectory, "runs")}; " +
                (known.Count == 0 ? "no run has one there." : $"the latest are {string.Join(", ", known.TakeLast(5))}."));
        }

        try
        {
            return RunJournalState.Read(path, NullLogger.Instance);
        }
        catch (InvalidDataException e)
        {
            throw new CliUsageException($"The journal of run '{runId}' is damaged: {e.Message}");
        }
    }

    /// <summary>Whether the run has work left: it never reached its end, or ended with tasks cancelled with it.</summary>
    public static bool Unfinished(RunJournalState journal) => !journal.Ended || journal.Resumable;
}
