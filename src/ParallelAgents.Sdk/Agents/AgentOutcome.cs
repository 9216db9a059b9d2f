namespace ParallelAgents.Sdk;

/// <summary>What one attempt of an agent achieved: returned by <see cref="IAgent.RunAsync"/>.</summary>
public sealed class AgentOutcome
{
    private static readonly AgentOutcome EmptySuccess = new(AgentOutcomeStatus.Succeeded, null, null, false);

    private AgentOutcome(AgentOutcomeStatus status, string? summary, string? error, bool isTransient)
    {
        Status = status;
        Summary = summary;
        Error = error;
        IsTransient = isTransient;
    }

    /// <summary>Whether the attempt succeeded.</summary>
    public AgentOutcomeStatus Status { get; }

    /// <summary>What the agent did, in a few sentences; handed to the tasks that depend on this one.</summary>
    public string? Summary { get; }

    /// <summary>Why the attempt failed; <see langword="null"/> on success.</summary>
    public string? Error { get; }

    /// <summary>Whether another attempt may succeed where this one failed (a rate limit, a flaky network).</summary>
    public bool IsTransient { get; }

    /// <summary>Whether <see cref="Status"/> is <see cref="AgentOutcomeStatus.Succeeded"/>.</summary>
    public bool Succeeded => Status == AgentOutcomeStatus.Succeeded;

    /// <summary>An outcome saying the task is done.</summary>
    /// <param name="summary">What the agent did, for the tasks that depend on this one.</param>
    /// <returns>A successful outcome.</returns>
    public static AgentOutcome Success(string? summary = null) =>
        summary is null ? EmptySuccess : new AgentOutcome(AgentOutcomeStatus.Succeeded, summary, null, false);

    /// <summary>An outcome saying the task is not done.</summary>
    /// <param name="error">Why: what went wrong, for the report and the next attempt.</param>
    /// <param name="isTransient">Whether another attempt may succeed; only transient failures are retried.</param>
    /// <returns>A failed outcome.</returns>
    public static AgentOutcome Failure(string error, bool isTransient = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new AgentOutcome(AgentOutcomeStatus.Failed, null, error, isTransient);
    }

    /// <inheritdoc/>
    public override string ToString() => Succeeded ? $"Succeeded: {Summary}" : $"Failed{(IsTransient ? " (transient)" : string.Empty)}: {Error}";
}
