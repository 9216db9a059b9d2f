namespace ParallelAgents.Sdk;

/// <summary>What one attempt of an agent achieved: returned by <see cref="IAgent.RunAsync"/>.</summary>
public sealed class AgentOutcome
{
    private static readonly AgentOutcome EmptySuccess = new(AgentOutcomeStatus.Succeeded, null, null, false, null);

    private AgentOutcome(AgentOutcomeStatus status, string? summary, string? error, bool isTransient, AgentUsage? usage)
    {
        Status = status;
        Summary = summary;
        Error = error;
        IsTransient = isTransient;
        Usage = usage;
    }

    /// <summary>Whether the attempt succeeded.</summary>
    public AgentOutcomeStatus Status { get; }

    /// <summary>What the agent did, in a few sentences; handed to the tasks that depend on this one.</summary>
    public string? Summary { get; }

    /// <summary>Why the attempt failed; <see langword="null"/> on success.</summary>
    public string? Error { get; }

    /// <summary>Whether another attempt may succeed where this one failed (a rate limit, a flaky network).</summary>
    public bool IsTransient { get; }

    /// <summary>What the attempt used (turns, tool calls, tokens, cost), or <see langword="null"/> when the agent does not
    /// measure it.</summary>
    public AgentUsage? Usage { get; }

    /// <summary>Whether <see cref="Status"/> is <see cref="AgentOutcomeStatus.Succeeded"/>.</summary>
    public bool Succeeded => Status == AgentOutcomeStatus.Succeeded;

    /// <summary>An outcome saying the task is done.</summary>
    /// <param name="summary">What the agent did, for the tasks that depend on this one.</param>
    /// <param name="usage">What the attempt used, when the agent measures it.</param>
    /// <returns>A successful outcome.</returns>
    public static AgentOutcome Success(string? summary = null, AgentUsage? usage = null) =>
        summary is null && usage is null ? EmptySuccess : new AgentOutcome(AgentOutcomeStatus.Succeeded, summary, null, false, usage);

    /// <summary>An outcome saying the task is not done.</summary>
    /// <param name="error">Why: what went wrong, for the report and the next attempt.</param>
    /// <param name="isTransient">Whether another attempt may succeed; only transient failures are retried.</param>
    /// <param name="usage">What the attempt used, when the agent measures it.</param>
    /// <returns>A failed outcome.</returns>
    public static AgentOutcome Failure(string error, bool isTransient = false, AgentUsage? usage = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new AgentOutcome(AgentOutcomeStatus.Failed, null, error, isTransient, usage);
    }

    /// <summary>An outcome saying the agent ran out of a budget before the task was done; never transient, since
    /// another attempt would run out the same way.</summary>
    /// <param name="error">Which budget ran out, and what was kept of the work (such as the commit).</param>
    /// <param name="usage">What the attempt used, when the agent measures it.</param>
    /// <returns>An outcome with <see cref="AgentOutcomeStatus.BudgetExceeded"/>.</returns>
    public static AgentOutcome BudgetExceeded(string error, AgentUsage? usage = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new AgentOutcome(AgentOutcomeStatus.BudgetExceeded, null, error, false, usage);
    }

    /// <inheritdoc/>
    public override string ToString() => Status switch
    {
        AgentOutcomeStatus.Succeeded => $"Succeeded: {Summary}",
        AgentOutcomeStatus.BudgetExceeded => $"Budget exceeded: {Error}",
        _ => $"Failed{(IsTransient ? " (transient)" : string.Empty)}: {Error}",
    };
}
