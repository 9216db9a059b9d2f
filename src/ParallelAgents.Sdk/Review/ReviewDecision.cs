namespace ParallelAgents.Sdk;

/// <summary>An <see cref="IMergeApprover"/>'s answer: approve, reject or re-run with feedback.</summary>
public sealed record ReviewDecision
{
    private static readonly ReviewDecision PlainApproval = new(ReviewDecisionKind.Approved, null);

    private ReviewDecision(ReviewDecisionKind kind, string? reason)
    {
        Kind = kind;
        Reason = reason;
    }

    /// <summary>What was decided.</summary>
    public ReviewDecisionKind Kind { get; }

    /// <summary>Why: the approval's note (may be <see langword="null"/>), the rejection's reason, or the feedback the
    /// agent gets for its re-run.</summary>
    public string? Reason { get; }

    /// <summary>Who decided, for the reports and the run journal (a user name, or an automatic approver's name).</summary>
    /// <value>The default is <see langword="null"/>: not said.</value>
    public string? Reviewer { get; init; }

    /// <summary>Whether the branch may be merged.</summary>
    public bool IsApproved => Kind == ReviewDecisionKind.Approved;

    /// <summary>Approves the branch for merging.</summary>
    /// <param name="note">An optional note for the reports.</param>
    /// <returns>The decision.</returns>
    public static ReviewDecision Approve(string? note = null) =>
        string.IsNullOrWhiteSpace(note) ? PlainApproval : new ReviewDecision(ReviewDecisionKind.Approved, note.Trim());

    /// <summary>Rejects the branch: it is not merged and stays as it is; the task ends <see cref="TaskState.Rejected"/>.</summary>
    /// <param name="reason">Why, for the task's error, the merge report and the run journal.</param>
    /// <returns>The decision.</returns>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is empty.</exception>
    public static ReviewDecision Reject(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new ReviewDecision(ReviewDecisionKind.Rejected, reason.Trim());
    }

    /// <summary>Asks the agent to work again on its branch with <paramref name="feedback"/>, then to be reviewed again.
    /// Each re-run counts as one of the task's attempts (its <c>max_attempts</c>, or
    /// <see cref="RetryOptions.MaxAttempts"/>); asking for one more when none is left rejects the branch.</summary>
    /// <param name="feedback">What to change; the agent gets it as <see cref="AgentContext.PreviousError"/>.</param>
    /// <returns>The decision.</returns>
    /// <exception cref="ArgumentException"><paramref name="feedback"/> is empty.</exception>
    public static ReviewDecision Rerun(string feedback)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(feedback);
        return new ReviewDecision(ReviewDecisionKind.RerunRequested, feedback.Trim());
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        string kind = Kind switch
        {
            ReviewDecisionKind.Approved => "approved",
            ReviewDecisionKind.Rejected => "rejected",
            _ => "re-run requested",
        };
        string by = Reviewer is null ? "" : $" by {Reviewer}";
        return Reason is null ? kind + by : $"{kind}{by}: {Reason}";
    }
}
