namespace ParallelAgents.Sdk;

/// <summary>How an <see cref="AgentEngine"/> schedules and runs tasks.</summary>
public sealed class AgentEngineOptions
{
    /// <summary>The most agents that run at once, over all tasks (a task with <c>agent_count: 3</c> uses three).</summary>
    /// <value>From 1 to 1,024. The default is 4.</value>
    public int MaxParallelAgents { get; set; } = 4;

    /// <summary>How transient failures are retried.</summary>
    /// <value>The default retries up to 3 attempts with exponential backoff from 1 second and jitter.</value>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>How long a cancelled run waits for its agents to stop before it returns without them.</summary>
    /// <value>Zero or more. The default is 10 seconds.</value>
    public TimeSpan CancellationGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many events each watcher of <see cref="AgentEngine.WatchAsync(CancellationToken)"/> may have waiting;
    /// a watcher that falls further behind loses its oldest events and is told how many.</summary>
    /// <value>From 16 to 1,048,576. The default is 4,096.</value>
    public int EventBufferCapacity { get; set; } = 4096;

    /// <summary>The isolation used by tasks that do not name one.</summary>
    /// <value>The default is <see cref="IsolationNames.Worktree"/>.</value>
    public string DefaultIsolation { get; set; } = IsolationNames.Worktree;

    /// <summary>What the engine redacts from its logs, merge reports, transcripts and status files.</summary>
    /// <value>The default redacts the host's secret-looking variables and strings that look like API keys; add the
    /// values or variable names of further secrets.</value>
    public RedactionOptions Redaction { get; set; } = new();

    internal const int MaxParallelAgentsLimit = 1024;

    internal void Validate(List<string> problems)
    {
        if (MaxParallelAgents is < 1 or > MaxParallelAgentsLimit)
        {
            problems.Add($"MaxParallelAgents must be from 1 to 1,024, not {MaxParallelAgents}.");
        }

        if (CancellationGracePeriod < TimeSpan.Zero)
        {
            problems.Add($"CancellationGracePeriod must be zero or more, not {CancellationGracePeriod}.");
        }

        if (EventBufferCapacity is < 16 or > 1_048_576)
        {
            problems.Add($"EventBufferCapacity must be from 16 to 1,048,576, not {EventBufferCapacity}.");
        }

        if (string.IsNullOrWhiteSpace(DefaultIsolation))
        {
            problems.Add("DefaultIsolation must name an isolation, such as 'worktree'.");
        }

        if (Redaction is null)
        {
            problems.Add("Redaction must not be null; use new RedactionOptions().");
        }
        else
        {
            Redaction.Validate(problems);
        }

        if (Retry is null)
        {
            problems.Add("Retry must not be null.");
        }
        else
        {
            Retry.Validate(problems);
        }
    }

    internal AgentEngineOptions Clone()
    {
        var copy = (AgentEngineOptions)MemberwiseClone();
        copy.Retry = Retry.Clone();
        copy.Redaction = Redaction.Clone();
        return copy;
    }
}
