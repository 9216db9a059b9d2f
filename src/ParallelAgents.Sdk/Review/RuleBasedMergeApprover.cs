using System.Globalization;

namespace ParallelAgents.Sdk;

/// <summary>
/// A ready-made reviewer that applies rules a team would check by hand, and hands the branches that pass them to
/// another approver (a person, through a console or a pull request) or approves them: a branch that adds what looks
/// like an API key is rejected, one that changes a protected path or too many lines is rejected, and one whose checks
/// fail is sent back to its agent with the failing check's output.
/// </summary>
/// <example>
/// <code>
/// builder.UseMergeApproval(new RuleBasedMergeApprover(then: consoleApprover)
/// {
///     ProtectedPaths = { ".github/workflows/*", "*.lock" },
///     MaxChangedLines = 2_000,
/// });
/// </code>
/// </example>
public sealed class RuleBasedMergeApprover : IMergeApprover
{
    /// <summary>The name the decisions of the rules carry (<see cref="ReviewDecision.Reviewer"/>).</summary>
    public const string ReviewerName = "rules";

    private readonly IMergeApprover? _then;

    /// <summary>Makes the approver.</summary>
    /// <param name="then">Who decides about the branches that pass every rule; <see langword="null"/> approves them.</param>
    public RuleBasedMergeApprover(IMergeApprover? then = null) => _then = then;

    /// <summary>Whether a branch that adds strings that look like API keys or tokens (<see cref="MergeReview.SuspectedSecrets"/>)
    /// is rejected. A re-run would not help: the key is in the branch's history.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RejectSuspectedSecrets { get; set; } = true;

    /// <summary>Paths no task may change, as globs compared ignoring case (<c>*</c> any run of characters, <c>/</c>
    /// included; <c>?</c> one character), such as <c>.github/workflows/*</c>; a branch that changes one is rejected.</summary>
    /// <value>The default is none.</value>
    public IList<string> ProtectedPaths { get; } = [];

    /// <summary>The most lines (added and deleted) a branch may change; a bigger one is rejected as too big to review.</summary>
    /// <value>The default, <see langword="null"/>, has no limit.</value>
    public int? MaxChangedLines { get; set; }

    /// <summary>Whether a branch whose checks fail (<see cref="MergeReview.Checks"/>) is sent back to its agent with the
    /// first failing check and the end of its output.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RerunWhenChecksFail { get; set; } = true;

    /// <inheritdoc/>
    public ValueTask<ReviewDecision> ReviewAsync(MergeReview review, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(review);
        if (RejectSuspectedSecrets && review.SuspectedSecrets.Count > 0)
        {
            return Decided(ReviewDecision.Reject(
                $"it adds what looks like an API key or token at {string.Join(", ", review.SuspectedSecrets)}; remove it from the branch's history and rotate the key"));
        }

        foreach (ReviewFileChange file in review.Files)
        {
            string? pattern = ProtectedPaths.FirstOrDefault(p =>
                CommandEnvironmentOptions.GlobMatches(p, file.Path) || (file.OldPath is { } old && CommandEnvironmentOptions.GlobMatches(p, old)));
            if (pattern is not null)
            {
                return Decided(ReviewDecision.Reject($"it changes '{file.Path}', which is protected ('{pattern}')"));
            }
        }

        int lines = review.Files.Sum(f => f.LinesAdded + f.LinesDeleted);
        if (MaxChangedLines is { } max && lines > max)
        {
            return Decided(ReviewDecision.Reject(string.Create(CultureInfo.InvariantCulture,
                $"it changes {lines:N0} lines, over the {max:N0} a review may cover; split the task")));
        }

        if (RerunWhenChecksFail && review.Checks.FirstOrDefault(c => !c.Succeeded) is { } failed)
        {
            string output = failed.Output.Length <= 2_000 ? failed.Output : "…" + failed.Output[^2_000..];
            return Decided(ReviewDecision.Rerun(string.Create(CultureInfo.InvariantCulture,
                $"the check `{failed.Command}` fails (exit code {failed.ExitCode}); make it pass. Its output:\n{output.TrimEnd()}")));
        }

        return _then is null ? Decided(ReviewDecision.Approve("every rule passed")) : _then.ReviewAsync(review, cancellationToken);
    }

    private static ValueTask<ReviewDecision> Decided(ReviewDecision decision) =>
        ValueTask.FromResult(decision with { Reviewer = ReviewerName });
}
