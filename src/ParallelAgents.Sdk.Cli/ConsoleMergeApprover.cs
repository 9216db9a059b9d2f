using System.Globalization;

namespace ParallelAgents.Sdk.Cli;

/// <summary>
/// The reviewer of <c>--review</c>: before each succeeded task's branch is merged, shows its summary, checks, predicted
/// conflicts, suspected secrets, files and diff, and asks whether to merge it (<c>y</c>), keep it off main (<c>n</c>,
/// then why) or have the agent work on it again (<c>r</c>, then the feedback).
/// </summary>
/// <remarks>One question at a time: tasks that finish together wait for the answer before theirs. When standard input
/// ends before an answer, the branch is rejected (nothing unreviewed reaches main). Without <c>offerRerun</c> (the
/// <c>merge</c> command, after the run's agents are gone) the question is only yes or no.</remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim holds nothing to release unless its AvailableWaitHandle was asked for, and this one's never is.")]
internal sealed class ConsoleMergeApprover(TextReader input, TextWriter output, int maxDiffLines, bool offerRerun = true) : IMergeApprover
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>Who decided, as the reports and the journal record it.</summary>
    public static string Reviewer => Environment.UserName + " (parallel-agents --review)";

    public async ValueTask<ReviewDecision> ReviewAsync(MergeReview review, CancellationToken cancellationToken = default)
    {
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ShowAsync(review).ConfigureAwait(false);
            while (true)
            {
                await output.WriteAsync($"Merge {review.Branch} into {review.MainBranch}? [y]es, [n]o (reject){(offerRerun ? ", [r]e-run with feedback" : "")}: ").ConfigureAwait(false);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                string? answer = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                switch (answer?.Trim().ToLowerInvariant())
                {
                    case null:
                        await output.WriteLineAsync().ConfigureAwait(false);
                        return ReviewDecision.Reject("standard input ended before an answer to the review") with { Reviewer = Reviewer };
                    case "y" or "yes":
                        return ReviewDecision.Approve() with { Reviewer = Reviewer };
                    case "n" or "no":
                        string reason = await AskAsync("Why (kept in the reports)? ", "rejected in review", cancellationToken).ConfigureAwait(false);
                        return ReviewDecision.Reject(reason) with { Reviewer = Reviewer };
                    case "r" or "rerun" or "re-run" when offerRerun:
                        string feedback = await AskAsync("Feedback for the agent: ", "", cancellationToken).ConfigureAwait(false);
                        if (feedback.Length == 0)
                        {
                            await output.WriteLineAsync("A re-run needs feedback that tells the agent what to change.").ConfigureAwait(false);
                            continue;
                        }

                        return ReviewDecision.Rerun(feedback) with { Reviewer = Reviewer };
                    default:
                        await output.WriteLineAsync(offerRerun ? "Answer y, n or r." : "Answer y or n.").ConfigureAwait(false);
                        break;
                }
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<string> AskAsync(string question, string fallback, CancellationToken cancellationToken)
    {
        await output.WriteAsync(question).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        string? line = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(line) ? fallback : line.Trim();
    }

    private async Task ShowAsync(MergeReview review)
    {
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"\n=== Review: task {review.Task.Id}, branch {review.Branch} at {review.HeadCommit[..Math.Min(12, review.HeadCommit.Length)]}, attempt {review.Attempt}");
        text.Append(review.Round > 1 ? $", round {review.Round}" : "").Append(" ===\n");
        if (review.Summary is { } summary)
        {
            text.Append("Summary: ").Append(summary.ReplaceLineEndings("\n         ")).Append('\n');
        }

        foreach (ReviewDecision previous in review.PreviousDecisions)
        {
            text.Append("Earlier: ").Append(previous).Append('\n');
        }

        foreach (ReviewCheck check in review.Checks)
        {
            text.Append(CultureInfo.InvariantCulture, $"Check {(check.Succeeded ? "passed" : $"FAILED (exit {check.ExitCode})")}: {check.Command}\n");
        }

        foreach (ConflictForecast forecast in review.ForecastConflicts)
        {
            text.Append("Predicted conflict: ").Append(forecast).Append('\n');
        }

        if (review.SuspectedSecrets.Count > 0)
        {
            text.Append("SUSPECTED SECRETS: ").Append(string.Join(", ", review.SuspectedSecrets)).Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture, $"Files ({review.Files.Count}):\n");
        foreach (ReviewFileChange file in review.Files)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {file.Kind,-9} {file.Path}{(file.OldPath is null ? "" : $" (from {file.OldPath})")} {(file.IsBinary ? "binary" : $"+{file.LinesAdded} -{file.LinesDeleted}")}\n");
        }

        string[] lines = review.Diff.Split('\n');
        foreach (string line in lines.Take(maxDiffLines))
        {
            text.Append(line).Append('\n');
        }

        if (lines.Length > maxDiffLines || review.DiffTruncated)
        {
            text.Append(CultureInfo.InvariantCulture, $"... the diff goes on ({lines.Length} lines{(review.DiffTruncated ? ", cut by the engine" : "")}); see it whole with: git diff {review.MainBranch}...{review.Branch}\n");
        }

        await output.WriteAsync(text.ToString()).ConfigureAwait(false);
    }
}
