namespace ParallelAgents.Sdk;

/// <summary>How the review before merge (<see cref="IMergeApprover"/>) is prepared.</summary>
public sealed class MergeApprovalOptions
{
    /// <summary>Whether the task's <c>checks</c> are run on the reviewed commit, in the task's workspace, so that the
    /// reviewer sees their results (<see cref="MergeReview.Checks"/>).</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RunChecks { get; set; } = true;

    /// <summary>How long each check may run.</summary>
    /// <value>Positive. The default is 10 minutes.</value>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most characters of each check's output kept (the head and the tail).</summary>
    /// <value>From 1,000. The default is 20,000.</value>
    public int MaxCheckOutputChars { get; set; } = 20_000;

    /// <summary>The most characters of <see cref="MergeReview.Diff"/>; a longer diff is cut at a line's end.</summary>
    /// <value>From 1,000. The default is 1,000,000.</value>
    public int MaxDiffChars { get; set; } = 1_000_000;

    internal void Validate(List<string> problems)
    {
        if (CheckTimeout <= TimeSpan.Zero && CheckTimeout != Timeout.InfiniteTimeSpan)
        {
            problems.Add($"MergeApprovalOptions.CheckTimeout must be positive, not {CheckTimeout}.");
        }

        if (MaxCheckOutputChars < 1_000)
        {
            problems.Add($"MergeApprovalOptions.MaxCheckOutputChars must be at least 1,000, not {MaxCheckOutputChars}.");
        }

        if (MaxDiffChars < 1_000)
        {
            problems.Add($"MergeApprovalOptions.MaxDiffChars must be at least 1,000, not {MaxDiffChars}.");
        }
    }

    internal MergeApprovalOptions Clone() => (MergeApprovalOptions)MemberwiseClone();
}
