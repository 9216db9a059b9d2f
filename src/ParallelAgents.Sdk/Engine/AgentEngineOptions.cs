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

    /// <summary>How long an agent may go without doing anything the engine sees (a progress report, an attempt
    /// starting) before its status turns from Active to Idle (<see cref="AgentStatus.IsActive"/>).</summary>
    /// <value>More than zero. The default is 60 seconds, as the original coordinator's.</value>
    public TimeSpan IdleThreshold { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often, while a run is in progress, the engine writes its status to
    /// <c>status_&lt;unix-time&gt;.json</c> in the reports folder (see
    /// <see cref="ParallelAgentsBuilder.WithReportsDirectory(string?)"/>); <see langword="null"/> writes none. The
    /// run's final <c>run_&lt;run-id&gt;.json</c> is written either way when there is a reports folder.</summary>
    /// <value>At least one second, or <see langword="null"/>. The default is 30 seconds, as the original coordinator's.</value>
    public TimeSpan? StatusReportInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The full path of the folder status and run reports go to, or <see langword="null"/> for none; set by
    /// the builder from the repository and <see cref="ParallelAgentsBuilder.WithReportsDirectory(string?)"/>.</summary>
    internal string? ReportsPath { get; set; }

    /// <summary>The folder where the engine keeps the state of its runs: one journal per run, in
    /// <c>runs/&lt;run-id&gt;/journal.jsonl</c>, from which <see cref="AgentEngine.ResumeAsync(string, CancellationToken)"/>
    /// finishes a run after a crash. A relative path is taken from the repository's folder (or, without a repository,
    /// from the current directory when the engine is built).</summary>
    /// <value>The default, <see langword="null"/>, is <c>.git/parallel-agents</c> in the repository given to
    /// <see cref="ParallelAgentsBuilder.UseRepository(string, string)"/> (the common git folder, shared by its
    /// worktrees, and never committed); an engine without a repository then keeps no journal.</value>
    public string? StateDirectory { get; set; }

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

        if (IdleThreshold <= TimeSpan.Zero)
        {
            problems.Add($"IdleThreshold must be more than zero, not {IdleThreshold}.");
        }

        if (StatusReportInterval is { } interval && interval < TimeSpan.FromSeconds(1))
        {
            problems.Add($"StatusReportInterval must be at least one second, or null to write no status files, not {interval}.");
        }

        if (string.IsNullOrWhiteSpace(DefaultIsolation))
        {
            problems.Add("DefaultIsolation must name an isolation, such as 'worktree'.");
        }

        if (StateDirectory is not null && string.IsNullOrWhiteSpace(StateDirectory))
        {
            problems.Add("StateDirectory must name a folder, or be null for .git/parallel-agents in the repository.");
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
