namespace ParallelAgents.Sdk;

/// <summary>
/// One unit of work for an AI coding agent: the fields of the original <c>config/tasks.yaml</c>
/// (<c>id</c>, <c>agent_count</c>, <c>isolation</c>, <c>dependencies</c>, <c>priority</c>,
/// <c>estimated_hours</c>, <c>instructions</c>, <c>success_criteria</c>) plus <c>checks</c>,
/// <c>timeout</c>, <c>max_attempts</c> and <c>template</c>.
/// </summary>
/// <remarks>
/// A task is immutable once made. Tasks are validated when they are put into a <see cref="TaskPlan"/>,
/// which reports every problem at once.
/// </remarks>
public sealed class AgentTask
{
    /// <summary>The task's id, unique in its plan (<c>id</c>).</summary>
    /// <value>Letters, digits, <c>.</c>, <c>_</c> and <c>-</c>, starting with a letter or digit, at most 100
    /// characters: it names the task's git branch (<c>agent/&lt;id&gt;</c>) and report files.</value>
    public required string Id { get; init; }

    /// <summary>What the agent is asked to do (<c>instructions</c>).</summary>
    /// <value>Non-empty text.</value>
    public required string Instructions { get; init; }

    /// <summary>How many independent agents attempt the task at once (<c>agent_count</c>); the first to succeed is kept
    /// and the others are cancelled.</summary>
    /// <value>At least 1. The default is 1.</value>
    public int AgentCount { get; init; } = 1;

    /// <summary>The isolation the task runs in (<c>isolation</c>): <see cref="IsolationNames.Worktree"/>,
    /// <see cref="IsolationNames.Container"/> or the name of a custom isolation provider.</summary>
    /// <value>The default is <see langword="null"/>: the engine's default isolation.</value>
    public string? Isolation { get; init; }

    /// <summary>The ids of the tasks that must succeed before this one starts (<c>dependencies</c>).</summary>
    /// <value>The default is empty.</value>
    public IReadOnlyList<string> Dependencies { get; init; } = [];

    /// <summary>How urgently the task starts once it is ready (<c>priority</c>).</summary>
    /// <value>The default is <see cref="TaskPriority.Medium"/>.</value>
    public TaskPriority Priority { get; init; } = TaskPriority.Medium;

    /// <summary>The expected effort in hours (<c>estimated_hours</c>); the scheduler weighs the critical path with it.</summary>
    /// <value>Zero or more. The default is <see langword="null"/>, which weighs as one hour.</value>
    public double? EstimatedHours { get; init; }

    /// <summary>What a finished task must achieve, in words (<c>success_criteria</c>).</summary>
    /// <value>The default is empty.</value>
    public IReadOnlyList<string> SuccessCriteria { get; init; } = [];

    /// <summary>Commands that must pass in the task's workspace before the task counts as done (<c>checks</c>).</summary>
    /// <value>The default is empty.</value>
    public IReadOnlyList<string> Checks { get; init; } = [];

    /// <summary>How long one attempt may run before it is cancelled (<c>timeout</c>, such as <c>30m</c> or <c>1h30m</c>).</summary>
    /// <value>Positive. The default is <see langword="null"/>: no limit.</value>
    public TimeSpan? Timeout { get; init; }

    /// <summary>How many times a transient failure is attempted in all (<c>max_attempts</c>).</summary>
    /// <value>At least 1. The default is <see langword="null"/>: the engine's
    /// <see cref="RetryOptions.MaxAttempts"/>.</value>
    public int? MaxAttempts { get; init; }

    /// <summary>The name of the agent template the task's agent uses (<c>template</c>), such as <c>backend</c>; agents
    /// that have templates look it up by this name.</summary>
    /// <value>The default is <see langword="null"/>: the agent's default.</value>
    public string? Template { get; init; }

    /// <summary>Where the task was defined in its task file, or <see langword="null"/> for a task made in code.</summary>
    public SourceLocation? Location { get; init; }

    internal TaskFieldLocations? FieldLocations { get; init; }

    /// <summary>A copy of this task with other instructions or isolation; every other field is kept.</summary>
    internal AgentTask Copy(string? instructions = null, string? isolation = null) => new()
    {
        Id = Id,
        Instructions = instructions ?? Instructions,
        AgentCount = AgentCount,
        Isolation = isolation ?? Isolation,
        Dependencies = Dependencies,
        Priority = Priority,
        EstimatedHours = EstimatedHours,
        SuccessCriteria = SuccessCriteria,
        Checks = Checks,
        Timeout = Timeout,
        MaxAttempts = MaxAttempts,
        Template = Template,
        Location = Location,
        FieldLocations = FieldLocations,
    };

    /// <inheritdoc/>
    public override string ToString() => Id;
}

/// <summary>Where each field of a task sits in its file, so that later checks can point at the right text.</summary>
internal sealed class TaskFieldLocations
{
    public Dictionary<string, SourceLocation> Fields { get; } = new(StringComparer.Ordinal);

    public List<SourceLocation> DependencyItems { get; } = [];

    /// <summary>The fields whose values the parser already reported as unusable, so they are not reported again as missing.</summary>
    public HashSet<string> Invalid { get; } = new(StringComparer.Ordinal);
}
