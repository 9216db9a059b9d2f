namespace ParallelAgents.Sdk;

/// <summary>What an <see cref="IMergeApprover"/> is shown about a task's branch before it is merged.</summary>
public sealed class MergeReview
{
    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }

    /// <summary>The task whose work is reviewed.</summary>
    public required AgentTask Task { get; init; }

    /// <summary>The attempt whose work is reviewed (a re-run asked by a reviewer counts as the next attempt).</summary>
    public required int Attempt { get; init; }

    /// <summary>Which review of this task in this run it is, from 1; above 1 after a re-run with feedback.</summary>
    public required int Round { get; init; }

    /// <summary>The task's branch, such as <c>agent/backend-api</c>.</summary>
    public required string Branch { get; init; }

    /// <summary>The branch the work would be merged into.</summary>
    public required string MainBranch { get; init; }

    /// <summary>The branch's commit under review; an approval merges exactly this commit.</summary>
    public required string HeadCommit { get; init; }

    /// <summary>Where the branch and the main branch meet (the diff's starting point), or <see langword="null"/> when
    /// they share no history.</summary>
    public string? BaseCommit { get; init; }

    /// <summary>What the branch changes, as <c>git diff main...branch</c> shows it: a unified diff with 3 lines of
    /// context, renames detected. Not redacted: a reviewer must see what would be merged (see
    /// <see cref="SuspectedSecrets"/>).</summary>
    /// <value>Cut at <see cref="MergeApprovalOptions.MaxDiffChars"/>, with a last line that says so.</value>
    public required string Diff { get; init; }

    /// <summary>Whether <see cref="Diff"/> was cut.</summary>
    public bool DiffTruncated { get; init; }

    /// <summary>Every file the branch changes, in path order.</summary>
    public IReadOnlyList<ReviewFileChange> Files { get; init; } = [];

    /// <summary>The task's <c>checks</c>, run on <see cref="HeadCommit"/> in the task's workspace just before this
    /// review, in order.</summary>
    /// <value>Empty when the task has no checks or <see cref="MergeApprovalOptions.RunChecks"/> is off.</value>
    public IReadOnlyList<ReviewCheck> Checks { get; init; } = [];

    /// <summary>Whether every check passed (true when there were none).</summary>
    public bool ChecksPassed => Checks.All(c => c.Succeeded);

    /// <summary>The conflicts forecast for this task's branch while it worked, against the main branch or other
    /// running tasks, that still held when it finished.</summary>
    /// <value>Empty when forecasting is off or nothing conflicts.</value>
    public IReadOnlyList<ConflictForecast> ForecastConflicts { get; init; } = [];

    /// <summary>Where the diff adds strings that look like API keys or tokens, as <c>path:line</c> (the values
    /// themselves are not repeated here).</summary>
    public IReadOnlyList<string> SuspectedSecrets { get; init; } = [];

    /// <summary>The agent's summary of its work.</summary>
    public string? Summary { get; init; }

    /// <summary>The decisions of this task's earlier rounds, oldest first (re-runs asked for).</summary>
    public IReadOnlyList<ReviewDecision> PreviousDecisions { get; init; } = [];

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Task.Id} ({Branch} at {HeadCommit[..Math.Min(12, HeadCommit.Length)]}): {Files.Count} files, " +
        $"+{Files.Sum(f => f.LinesAdded)} -{Files.Sum(f => f.LinesDeleted)}, checks {(ChecksPassed ? "passed" : "failed")}, " +
        $"{ForecastConflicts.Count} forecast conflicts, round {Round}";
}
