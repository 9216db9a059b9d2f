namespace ParallelAgents.Sdk;

/// <summary>
/// Reviews a task's work before it is merged into the main branch: with an approver configured
/// (<see cref="ParallelAgentsBuilder.UseMergeApproval(IMergeApprover, Action{MergeApprovalOptions}?)"/>), the merge of
/// every succeeded task's branch waits for its decision. The tasks that depend on it wait too, since they start from
/// the main branch with their dependencies merged.
/// </summary>
/// <remarks>
/// The engine asks one review at a time per task but may ask for several tasks at once (from different workers);
/// an approver that asks a person should queue them. A review can take as long as it needs; the run's cancellation
/// token cancels it. An exception from the approver fails the task with the exception's message and keeps its branch.
/// </remarks>
public interface IMergeApprover
{
    /// <summary>Decides whether a task's branch may be merged.</summary>
    /// <param name="review">The task, its branch, the diff against the main branch, the files changed, the task's
    /// checks' results and the conflicts forecast for it.</param>
    /// <param name="cancellationToken">Cancelled when the run is.</param>
    /// <returns><see cref="ReviewDecision.Approve(string?)"/> to merge, <see cref="ReviewDecision.Reject(string)"/> to
    /// keep the work off the main branch (the branch stays, the task ends <see cref="TaskState.Rejected"/>), or
    /// <see cref="ReviewDecision.Rerun(string)"/> to have the agent work again on its branch with the feedback.</returns>
    ValueTask<ReviewDecision> ReviewAsync(MergeReview review, CancellationToken cancellationToken = default);
}
