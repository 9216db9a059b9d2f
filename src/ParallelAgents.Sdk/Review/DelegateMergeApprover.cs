namespace ParallelAgents.Sdk;

/// <summary>An <see cref="IMergeApprover"/> that calls a delegate: a policy in a few lines, or a bridge to a chat
/// message, a pull request or a web form.</summary>
/// <example>
/// <code>
/// builder.UseMergeApproval(new DelegateMergeApprover((review, _) => ValueTask.FromResult(
///     !review.ChecksPassed ? ReviewDecision.Rerun("the checks fail; make them pass")
///     : review.SuspectedSecrets.Count &gt; 0 ? ReviewDecision.Reject("adds what looks like an API key: " + string.Join(", ", review.SuspectedSecrets))
///     : ReviewDecision.Approve())));
/// </code>
/// </example>
public sealed class DelegateMergeApprover : IMergeApprover
{
    private readonly Func<MergeReview, CancellationToken, ValueTask<ReviewDecision>> _review;

    /// <summary>Makes an approver that calls <paramref name="review"/>.</summary>
    /// <param name="review">Decides about one branch.</param>
    public DelegateMergeApprover(Func<MergeReview, CancellationToken, ValueTask<ReviewDecision>> review)
    {
        ArgumentNullException.ThrowIfNull(review);
        _review = review;
    }

    /// <inheritdoc/>
    public ValueTask<ReviewDecision> ReviewAsync(MergeReview review, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(review);
        return _review(review, cancellationToken);
    }
}
