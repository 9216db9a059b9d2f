namespace ParallelAgents.Sdk;

/// <summary>
/// The settings of the engine registered by
/// <see cref="ParallelAgentsServiceCollectionExtensions.AddParallelAgents(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{ParallelAgentsOptions}?)"/>,
/// read from the <c>ParallelAgents</c> configuration section and from the original demo's environment variables.
/// </summary>
/// <remarks>
/// <para>Where a setting comes from, strongest first: the <c>Use…</c> methods of <see cref="IParallelAgentsBuilder"/>;
/// the delegate given to <c>AddParallelAgents</c> (and any <c>services.Configure&lt;ParallelAgentsOptions&gt;</c> made
/// after it); the <c>ParallelAgents</c> section of the container's <c>IConfiguration</c>; the original demo's
/// environment variables (<c>AGENT_BRANCH_PREFIX</c>, <c>MAIN_BRANCH</c>, <c>WORKSPACE_DIR</c>, <c>REPORTS_DIR</c>,
/// <c>SHARED_MEMORY</c>, <c>AGENT_MODEL</c>); the defaults below. Code wins because it is the most deliberate;
/// the section beats the variables because it names the SDK and is per application, where the variables are shared
/// by whatever runs in the same shell.</para>
/// <para>The settings are checked when the engine is first resolved (at host start when the run queue's hosted service
/// runs), together with everything else the engine needs: a single <see cref="ParallelAgentsConfigurationException"/>
/// lists every problem.</para>
/// </remarks>
public sealed class ParallelAgentsOptions
{
    /// <summary>The name of the configuration section the options are read from.</summary>
    public const string SectionName = "ParallelAgents";

    /// <summary>The most agents that run at once.</summary>
    /// <value>From 1 to 1,024. The default is 4.</value>
    public int MaxParallelAgents { get; set; } = 4;

    /// <summary>The git repository the agents work on and their branches are merged into (its working tree).</summary>
    /// <value>The default, <see langword="null"/>, works without a repository: no worktrees, no merges.</value>
    public string? RepositoryPath { get; set; }

    /// <summary>The branch the work starts from and is merged into. Environment variable: <c>MAIN_BRANCH</c>.</summary>
    /// <value>A valid branch name. The default is <c>main</c>.</value>
    public string MainBranch { get; set; } = "main";

    /// <summary>What the names of the agents' branches start with. Environment variable: <c>AGENT_BRANCH_PREFIX</c>.</summary>
    /// <value>Empty or a valid start of a branch name. The default is <c>agent/</c>.</value>
    public string BranchPrefix { get; set; } = "agent/";

    /// <summary>The folder the agents' worktrees are made in. Environment variable: <c>WORKSPACE_DIR</c>.</summary>
    /// <value>The default, <see langword="null"/>, is a folder beside the repository named after it
    /// (<c>/src/shop.worktrees</c>). A relative path is taken from the repository's root.</value>
    public string? WorktreesDirectory { get; set; }

    /// <summary>Whether tasks work in git worktrees of <see cref="RepositoryPath"/> (the <c>worktree</c> isolation, the
    /// default one) when a repository is set.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool WorktreeIsolation { get; set; } = true;

    /// <summary>The folder merge reports and agent transcripts are written to. Environment variable: <c>REPORTS_DIR</c>.</summary>
    /// <value>The default is <c>reports</c>, relative to the repository. Empty writes no reports.</value>
    public string? ReportsDirectory { get; set; } = "reports";

    /// <summary>The folder where the engine keeps each run's journal, from which
    /// <see cref="AgentEngine.ResumeAsync(string, CancellationToken)"/> finishes a run after a crash or a shutdown
    /// (<see cref="AgentEngineOptions.StateDirectory"/>).</summary>
    /// <value>The default, <see langword="null"/>, is <c>.git/parallel-agents</c> in the repository. A relative path is
    /// taken from the repository's root.</value>
    public string? StateDirectory { get; set; }

    /// <summary>The snapshot file of a file-backed shared memory (<see cref="SharedMemory.File(string, FileSharedMemoryOptions?)"/>),
    /// used when no <see cref="ISharedMemory"/> is registered in the container. Environment variable: <c>SHARED_MEMORY</c>.</summary>
    /// <value>The default, <see langword="null"/>, gives the agents no shared memory unless one is registered. A relative
    /// path is taken from the current folder, as the original demo did.</value>
    public string? SharedMemoryPath { get; set; }

    /// <summary>The model the chat-client agents ask for (<c>ChatOptions.ModelId</c>), unless their
    /// <see cref="ChatClientAgentOptions.ChatOptions"/> name one. Environment variable: <c>AGENT_MODEL</c>.</summary>
    /// <value>The default, <see langword="null"/>, leaves the choice to the chat client.</value>
    public string? Model { get; set; }

    /// <summary>The key of the <c>IChatClient</c> to take from the container when no agent is configured in code.</summary>
    /// <value>The default, <see langword="null"/>, takes the unkeyed <c>IChatClient</c>.</value>
    public string? ChatClientServiceKey { get; set; }

    /// <summary>Whether conflicts between running agents' branches are forecast while they work.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool ConflictForecasting { get; set; } = true;

    /// <summary>How long a cancelled run (at host shutdown, for instance) waits for its agents to stop and commit their
    /// work before it returns without them. Keep it below the host's shutdown timeout.</summary>
    /// <value>Zero or more. The default is 10 seconds.</value>
    public TimeSpan CancellationGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an agent may go without doing anything before its status turns from Active to Idle
    /// (<see cref="AgentEngineOptions.IdleThreshold"/>).</summary>
    /// <value>More than zero. The default is 60 seconds.</value>
    public TimeSpan IdleThreshold { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a run's status is written to <c>status_&lt;unix-time&gt;.json</c> in the reports folder
    /// (<see cref="AgentEngineOptions.StatusReportInterval"/>); <see langword="null"/> (an empty value or <c>off</c> in
    /// the configuration) writes none.</summary>
    /// <value>At least one second, or <see langword="null"/>. The default is 30 seconds.</value>
    public TimeSpan? StatusReportInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How transient failures are retried (section <c>ParallelAgents:Retry</c>: <c>MaxAttempts</c>,
    /// <c>BaseDelay</c>, <c>MaxDelay</c>, <c>BackoffMultiplier</c>, <c>UseJitter</c>).</summary>
    /// <value>The default retries up to 3 attempts with exponential backoff from 1 second and jitter.</value>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>What the engine redacts from its logs, merge reports, transcripts and status files (section
    /// <c>ParallelAgents:Redaction</c>: <c>SecretValues</c> and <c>SecretVariables</c> as lists,
    /// <c>RedactSecretEnvironment</c>, <c>RedactKeyPatterns</c>). Prefer <c>SecretVariables</c> (names) to putting
    /// secret values in configuration files.</summary>
    /// <value>The default redacts the host's secret-looking variables and strings that look like API keys.</value>
    public RedactionOptions Redaction { get; set; } = new();

    /// <summary>Problems met while reading the configuration section, reported with the engine's other problems.</summary>
    internal List<string> ConfigurationProblems { get; } = [];
}
