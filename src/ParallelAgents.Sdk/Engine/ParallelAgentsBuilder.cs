using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk;

/// <summary>
/// Composes an <see cref="AgentEngine"/>: the agent that does the tasks, the isolation providers that make their
/// workspaces, and the options. Fluent and single-use: every method returns this builder, and
/// <see cref="Build"/> may be called once.
/// </summary>
/// <example>
/// <code>
/// await using AgentEngine engine = new ParallelAgentsBuilder()
///     .UseAgent((context, cancellationToken) => ValueTask.FromResult(AgentOutcome.Success()))
///     .WithMaxParallelAgents(4)
///     .Build();
/// RunResult result = await engine.RunAsync(TaskPlan.Load("config/tasks.yaml"));
/// </code>
/// </example>
public sealed class ParallelAgentsBuilder
{
    private readonly AgentEngineOptions _options = new();
    private readonly List<IIsolationProvider> _providers = [];
    private readonly List<OwnedIsolation> _ownedIsolations = [];
    private IAgent? _agent;
    private IChatClient? _chatClient;
    private Action<ChatClientAgentOptions>? _chatClientConfiguration;
    private ISharedMemory? _memory;
    private TimeProvider _timeProvider = TimeProvider.System;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private IMeterFactory? _meterFactory;
    private readonly List<IConflictResolver> _resolvers = [];
    private readonly List<Action<MergeOptions>> _mergeConfiguration = [];
    private string? _repositoryPath;
    private string _mainBranch = "main";
    private string? _reportsDirectory = "reports";
    private bool _reportsDirectorySet;
    private Action<WorktreeIsolationOptions>? _worktreeConfiguration;
    private bool _useWorktrees;
    private bool _forecastConflicts = true;
    private IMergeApprover? _approver;
    private Action<MergeApprovalOptions>? _approvalConfiguration;
    private bool _built;

    /// <summary>Has the engine's tasks done by <paramref name="agent"/>.</summary>
    /// <param name="agent">The agent that runs every attempt.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseAgent(IAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ThrowIfBuilt();
        _agent = agent;
        _chatClient = null;
        return this;
    }

    /// <summary>
    /// Has the engine's tasks done by AI coding agents over <paramref name="chatClient"/>: a <see cref="ChatClientAgent"/>
    /// with the workspace and shared-memory tools. Pass the plain client; the agent adds its own function invocation.
    /// </summary>
    /// <param name="chatClient">Any <see cref="IChatClient"/> (OpenAI, Azure OpenAI, Ollama, a replaying client in tests...).</param>
    /// <param name="configure">Changes the <see cref="ChatClientAgentOptions"/> (budgets, templates, prices...). When
    /// the builder has a repository with a reports folder and the transcript folder is left at its default, transcripts
    /// go to <c>&lt;reports&gt;/agents/</c> under the repository.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseChatClient(IChatClient chatClient, Action<ChatClientAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        ThrowIfBuilt();
        _chatClient = chatClient;
        _chatClientConfiguration = configure;
        _agent = null;
        return this;
    }

    /// <summary>Has the engine's tasks done by a delegate (see <see cref="DelegateAgent"/>).</summary>
    /// <param name="run">Does one attempt of a task.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseAgent(Func<AgentContext, CancellationToken, ValueTask<AgentOutcome>> run) =>
        UseAgent(new DelegateAgent(run));

    /// <summary>Adds an isolation provider; tasks ask for it by its <see cref="IIsolationProvider.Name"/>.</summary>
    /// <param name="provider">The provider.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseIsolation(IIsolationProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ThrowIfBuilt();
        _providers.Add(provider);
        return this;
    }

    /// <summary>Registers a provider the engine makes from this builder's settings at <see cref="Build"/>, owns and
    /// disposes (extension packages use it, such as ParallelAgents.Sdk.Docker's <c>UseContainerIsolation</c>).</summary>
    internal ParallelAgentsBuilder UseOwnedIsolation(OwnedIsolation registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ThrowIfBuilt();
        _ownedIsolations.RemoveAll(r => string.Equals(r.Name, registration.Name, StringComparison.OrdinalIgnoreCase));
        _ownedIsolations.Add(registration);
        return this;
    }

    /// <summary>Gives every agent the same shared memory (<see cref="AgentContext.Memory"/>).</summary>
    /// <param name="memory">The store. The caller owns it: the engine does
    /// not dispose it, so one store can outlive several engines.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseSharedMemory(ISharedMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ThrowIfBuilt();
        _memory = memory;
        return this;
    }

    /// <summary>
    /// Works on the git repository at <paramref name="path"/>: each succeeded task's branch is merged into
    /// <paramref name="mainBranch"/> before the tasks that depend on it start, conflicts go to the resolver chain, and
    /// merge reports are written (see <see cref="WithReportsDirectory(string?)"/>). Use it with
    /// <see cref="UseWorktreeIsolation(Action{WorktreeIsolationOptions}?)"/> so that every task works in its own
    /// worktree on its own branch.
    /// </summary>
    /// <param name="path">The repository's folder (its working tree, or the git folder of a bare repository).</param>
    /// <param name="mainBranch">The branch the work is merged into; the default is <c>main</c>.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseRepository(string path, string mainBranch = "main")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(mainBranch);
        ThrowIfBuilt();
        _repositoryPath = path;
        _mainBranch = mainBranch;
        return this;
    }

    /// <summary>
    /// Runs tasks in git worktrees of the repository given to <see cref="UseRepository(string, string)"/>: the built-in
    /// <see cref="WorktreeIsolationProvider"/>, registered as <c>worktree</c> (the default isolation). The engine owns
    /// the provider and disposes it, and sweeps the worktrees of dead runs when each run starts.
    /// </summary>
    /// <param name="configure">Changes the <see cref="WorktreeIsolationOptions"/>; the repository path and base branch
    /// default to those of <see cref="UseRepository(string, string)"/>.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseWorktreeIsolation(Action<WorktreeIsolationOptions>? configure = null)
    {
        ThrowIfBuilt();
        _useWorktrees = true;
        _worktreeConfiguration = configure;
        return this;
    }

    /// <summary>Changes how task branches are merged into the main branch (strategy, verify commands, committer...).</summary>
    /// <param name="configure">Changes the <see cref="MergeOptions"/>; the repository, main branch and reports folder
    /// default to those given to the builder. Calls add up, in order.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseMerging(Action<MergeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ThrowIfBuilt();
        _mergeConfiguration.Add(configure);
        return this;
    }

    /// <summary>Adds a conflict resolver to the end of the chain asked when a task's branch conflicts with the main branch.</summary>
    /// <remarks>Without any, the chain is <see cref="RerunAgentResolver"/> (the task's agent redoes its work on the new
    /// main branch) then <see cref="ReportOnlyResolver"/> (the conflict is reported with what to do by hand).</remarks>
    /// <param name="resolver">The resolver.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseConflictResolver(IConflictResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ThrowIfBuilt();
        _resolvers.Add(resolver);
        return this;
    }

    /// <summary>
    /// Has every succeeded task's branch reviewed before it is merged: the merge, and so the tasks that depend on the
    /// task, wait for <paramref name="approver"/>'s decision. It is handed the diff against the main branch, the files
    /// changed, the task's checks' results and the conflicts forecast for the task, and answers approve (the branch
    /// is merged), reject (the branch stays, the task ends <see cref="TaskState.Rejected"/> and its dependents are
    /// skipped) or re-run with feedback (the agent works again on its branch, then the review repeats; each re-run is
    /// one of the task's attempts). Decisions go into the merge reports and the run journal.
    /// </summary>
    /// <param name="approver">Who decides, such as a <see cref="DelegateMergeApprover"/>.</param>
    /// <param name="configure">Changes the <see cref="MergeApprovalOptions"/> (checks, diff size).</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseMergeApproval(IMergeApprover approver, Action<MergeApprovalOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(approver);
        ThrowIfBuilt();
        _approver = approver;
        _approvalConfiguration = configure;
        return this;
    }

    /// <summary>Has every succeeded task's branch reviewed by a delegate before it is merged (see
    /// <see cref="UseMergeApproval(IMergeApprover, Action{MergeApprovalOptions}?)"/>).</summary>
    /// <param name="review">Decides about one branch.</param>
    /// <param name="configure">Changes the <see cref="MergeApprovalOptions"/>.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseMergeApproval(
        Func<MergeReview, CancellationToken, ValueTask<ReviewDecision>> review, Action<MergeApprovalOptions>? configure = null) =>
        UseMergeApproval(new DelegateMergeApprover(review), configure);

    /// <summary>Turns conflict forecasting on or off: while agents work, each commit is merged in memory with the main
    /// branch and every other running task's branch, and predicted conflicts are published as
    /// <see cref="AgentEventKind.ConflictPredicted"/> events and under <c>conflicts/predicted/</c> in the shared memory.</summary>
    /// <param name="enabled">Whether to forecast; the default is on.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseConflictForecasting(bool enabled = true)
    {
        ThrowIfBuilt();
        _forecastConflicts = enabled;
        return this;
    }

    /// <summary>Sets the folder reports are written to, relative to the repository unless absolute: merge reports
    /// (<c>merge_&lt;task-id&gt;_&lt;timestamp&gt;.json</c>, <c>merge_summary_&lt;timestamp&gt;.txt</c>), the run's
    /// status every <see cref="AgentEngineOptions.StatusReportInterval"/> (<c>status_&lt;unix-time&gt;.json</c>) and
    /// its final summary (<c>run_&lt;run-id&gt;.json</c>). Without <see cref="UseRepository(string, string)"/>, status
    /// and run reports are written only when this method is called, relative to the current folder.</summary>
    /// <param name="path">The folder; <see langword="null"/> writes no reports. The default is <c>reports</c>.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder WithReportsDirectory(string? path)
    {
        ThrowIfBuilt();
        _reportsDirectory = path;
        _reportsDirectorySet = true;
        return this;
    }

    /// <summary>Sets the folder where the engine keeps each run's journal (<see cref="AgentEngineOptions.StateDirectory"/>),
    /// from which <see cref="AgentEngine.ResumeAsync(string, CancellationToken)"/> finishes a run after a crash.</summary>
    /// <param name="path">The folder, relative to the repository unless absolute. The default, <see langword="null"/>,
    /// is <c>.git/parallel-agents</c> in the repository; without a repository, no journal is kept unless a folder is set.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder WithStateDirectory(string? path)
    {
        ThrowIfBuilt();
        _options.StateDirectory = path;
        return this;
    }

    /// <summary>Sets the most agents that run at once.</summary>
    /// <param name="maxParallelAgents">From 1 to 1,024; the default is 4.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1 to 1,024.</exception>
    public ParallelAgentsBuilder WithMaxParallelAgents(int maxParallelAgents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelAgents, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxParallelAgents, AgentEngineOptions.MaxParallelAgentsLimit);
        ThrowIfBuilt();
        _options.MaxParallelAgents = maxParallelAgents;
        return this;
    }

    /// <summary>Changes how transient failures are retried.</summary>
    /// <param name="configure">Changes the <see cref="RetryOptions"/>; they are checked at once.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ParallelAgentsConfigurationException">The options are invalid.</exception>
    public ParallelAgentsBuilder WithRetry(Action<RetryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ThrowIfBuilt();
        configure(_options.Retry);
        ThrowIfInvalid(_options.Retry.Validate);
        return this;
    }

    /// <summary>Changes the engine's options.</summary>
    /// <param name="configure">Changes the <see cref="AgentEngineOptions"/>; they are checked at once.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ParallelAgentsConfigurationException">The options are invalid.</exception>
    public ParallelAgentsBuilder Configure(Action<AgentEngineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ThrowIfBuilt();
        configure(_options);
        ThrowIfInvalid(_options.Validate);
        return this;
    }

    /// <summary>Sets where the engine's time comes from (timestamps, timeouts, backoff delays).</summary>
    /// <param name="timeProvider">The time provider; the default is <see cref="TimeProvider.System"/>.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseTimeProvider(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ThrowIfBuilt();
        _timeProvider = timeProvider;
        return this;
    }

    /// <summary>Sets where the engine logs.</summary>
    /// <param name="loggerFactory">The logger factory; the default logs nowhere.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseLoggerFactory(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ThrowIfBuilt();
        _loggerFactory = loggerFactory;
        return this;
    }

    /// <summary>Sets where the engine's <c>ParallelAgents</c> meter comes from (see <see cref="ParallelAgentsTelemetry"/>).</summary>
    /// <param name="meterFactory">The meter factory, such as the host's (<c>services.AddMetrics()</c>); the dependency-injection
    /// registration uses the container's when it has one. The default is a meter shared by every engine in the process.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseMeterFactory(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ThrowIfBuilt();
        _meterFactory = meterFactory;
        return this;
    }

    /// <summary>Checks the whole configuration and makes the engine.</summary>
    /// <returns>The engine; dispose it when done.</returns>
    /// <exception cref="ParallelAgentsConfigurationException">The configuration is invalid; every problem is listed.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public AgentEngine Build() => BuildWith([]);

    /// <summary>The engine's options, changed in place by the dependency-injection registration, which leaves their
    /// checks to <see cref="BuildWith(IEnumerable{string})"/> so that every problem is listed at once.</summary>
    internal AgentEngineOptions EngineOptions => _options;

    /// <summary>Whether an agent or a chat client was given.</summary>
    internal bool HasAgent => _agent is not null || _chatClient is not null;

    /// <summary>What <see cref="BuildWith(IEnumerable{string})"/> says when no agent was given, in the words of the caller's
    /// API (the dependency-injection registration names its own methods); <see langword="null"/> for the builder's, empty
    /// when the caller has already reported why the agent it was asked for is missing.</summary>
    internal string? MissingAgentProblem { get; set; }

    /// <summary>Whether <see cref="UseWorktreeIsolation(Action{WorktreeIsolationOptions}?)"/> was called.</summary>
    internal bool UsesWorktrees => _useWorktrees;

    /// <summary>Whether a shared memory was given.</summary>
    internal bool HasSharedMemory => _memory is not null;

    /// <summary>Builds the engine, listing <paramref name="earlierProblems"/> (found while configuring the builder)
    /// first among the problems when the configuration is invalid.</summary>
    internal AgentEngine BuildWith(IEnumerable<string> earlierProblems)
    {
        ThrowIfBuilt();
        var problems = new List<string>(earlierProblems);
        // Made first, so that transcripts, merge reports and every logger the engine hands out redact the same secrets;
        // invalid lists are reported by the options' validation below.
        SecretRedactor redactor = _options.Redaction is { SecretValues: not null, SecretVariables: not null } redaction
            ? SecretRedactor.From(redaction)
            : SecretRedactor.PatternsOnly;
        ILoggerFactory logging = RedactingLoggerFactory.Wrap(_loggerFactory, redactor);
        IAgent? agent = _agent ?? ChatClientAgentFromOptions(problems, redactor);
        if (agent is null && _chatClient is null && MissingAgentProblem is not "")
        {
            problems.Add(MissingAgentProblem ??
                "No agent is configured: call UseChatClient(chatClient) for AI coding agents, or UseAgent(...) with the agent that does the tasks.");
        }

        _options.Validate(problems);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (OwnedIsolation registration in _ownedIsolations)
        {
            if (!names.Add(registration.Name.Trim().ToLowerInvariant()))
            {
                problems.Add($"Two isolation providers are named '{registration.Name}'; each name may be registered once.");
            }
        }

        foreach (IIsolationProvider provider in _providers)
        {
            string? name = provider.Name?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(name))
            {
                problems.Add($"The isolation provider {provider.GetType().Name} has no name; tasks name the provider they need with 'isolation:'.");
            }
            else if (!names.Add(name))
            {
                problems.Add($"Two isolation providers are named '{name}'; each name may be registered once.");
            }
        }

        WorktreeIsolationOptions? worktreeOptions = _useWorktrees ? BuildWorktreeOptions(problems) : null;
        MergeOptions? mergeOptions = _repositoryPath is null ? null : BuildMergeOptions(worktreeOptions, problems, logging, redactor);
        if (_repositoryPath is null && (_mergeConfiguration.Count > 0 || _resolvers.Count > 0))
        {
            problems.Add("Merging and conflict resolvers need a repository: call UseRepository(path, mainBranch) as well.");
        }

        MergeApprovalOptions? approval = null;
        if (_approver is not null)
        {
            approval = new MergeApprovalOptions();
            _approvalConfiguration?.Invoke(approval);
            approval.Validate(problems);
            if (_repositoryPath is null)
            {
                problems.Add("Merge approval reviews branches before they are merged, so it needs a repository: call UseRepository(path, mainBranch) as well.");
            }
        }

        var ownedContext = new OwnedIsolationContext
        {
            RepositoryPath = _repositoryPath,
            MainBranch = _mainBranch,
            LoggerFactory = logging,
            TimeProvider = _timeProvider,
            WorktreeOptions = worktreeOptions,
        };
        foreach (OwnedIsolation registration in _ownedIsolations)
        {
            registration.Validate(ownedContext, problems);
        }

        if (problems.Count > 0)
        {
            throw new ParallelAgentsConfigurationException(problems);
        }

        WorktreeIsolationProvider? worktrees = null;
        if (worktreeOptions is not null)
        {
            try
            {
                worktrees = new WorktreeIsolationProvider(worktreeOptions, logging, _timeProvider);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
            {
                throw new ParallelAgentsConfigurationException([$"The worktree isolation cannot start: {ex.Message}"]);
            }
        }

        List<IIsolationProvider> providers = [.. _providers];
        List<IAsyncDisposable> owned = [];
        if (worktrees is not null)
        {
            providers.Add(worktrees);
            owned.Add(worktrees);
        }

        ownedContext.Worktrees = worktrees;
        foreach (OwnedIsolation registration in _ownedIsolations)
        {
            IIsolationProvider provider;
            try
            {
                provider = registration.Create(ownedContext);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
            {
                foreach (IAsyncDisposable made in Enumerable.Reverse(owned))
                {
                    made.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }

                throw ex as ParallelAgentsConfigurationException
                    ?? new ParallelAgentsConfigurationException([$"The isolation '{registration.Name}' cannot start: {ex.Message}"]);
            }

            providers.Add(provider);
            if (provider is IAsyncDisposable disposable)
            {
                owned.Add(disposable);
            }
        }

        RepositorySettings? repository = mergeOptions is null ? null : new RepositorySettings
        {
            Merge = mergeOptions,
            Resolvers = _resolvers.Count > 0 ? [.. _resolvers] : [new RerunAgentResolver(), new ReportOnlyResolver()],
            ForecastConflicts = _forecastConflicts,
            Worktrees = worktrees,
            Approver = _approver,
            Approval = approval?.Clone() ?? new MergeApprovalOptions(),
            DefaultMaxAttempts = _options.Retry.MaxAttempts,
        };

        _built = true;
        _options.ReportsPath = ReportsPath(mergeOptions);
        AgentEngineOptions engineOptions = _options.Clone();
        engineOptions.StateDirectory = RunStateDirectory.Resolve(_options.StateDirectory, _repositoryPath);
        return new AgentEngine(engineOptions, agent!, providers, _memory, _timeProvider, logging, repository, owned, _meterFactory, redactor);
    }

    /// <summary>Where status and run reports go: beside the merge reports when there is a repository; without one, the
    /// folder given to <see cref="WithReportsDirectory(string?)"/> (from the current folder), and none by default, so
    /// that an engine without a repository writes no files it was not asked for.</summary>
    private string? ReportsPath(MergeOptions? mergeOptions)
    {
        if (mergeOptions is not null)
        {
            return mergeOptions.ReportsDirectory is null
                ? null
                : Path.GetFullPath(mergeOptions.ReportsDirectory, Path.GetFullPath(mergeOptions.RepositoryPath));
        }

        return _reportsDirectorySet && _reportsDirectory is not null ? Path.GetFullPath(_reportsDirectory) : null;
    }

    private ChatClientAgent? ChatClientAgentFromOptions(List<string> problems, SecretRedactor redactor)
    {
        if (_chatClient is null)
        {
            return null;
        }

        var options = new ChatClientAgentOptions();
        string? defaultTranscripts = options.TranscriptDirectory;
        _chatClientConfiguration?.Invoke(options);
        if (_repositoryPath is not null && _reportsDirectory is not null && options.TranscriptDirectory == defaultTranscripts)
        {
            options.TranscriptDirectory = Path.Combine(Path.GetFullPath(_reportsDirectory, Path.GetFullPath(_repositoryPath)), "agents");
        }

        foreach (string secret in redactor.Secrets)
        {
            // The engine's secrets are the transcripts' too; the key patterns apply to transcripts anyway.
            if (options.SecretValues is { } values && !values.Contains(secret))
            {
                values.Add(secret);
            }
        }

        try
        {
            return new ChatClientAgent(_chatClient, options);
        }
        catch (ParallelAgentsConfigurationException ex)
        {
            problems.AddRange(ex.Problems);
            return null;
        }
    }

    private WorktreeIsolationOptions? BuildWorktreeOptions(List<string> problems)
    {
        var options = new WorktreeIsolationOptions { RepositoryPath = _repositoryPath ?? string.Empty, BaseBranch = _mainBranch };
        _worktreeConfiguration?.Invoke(options);
        if (string.IsNullOrWhiteSpace(options.RepositoryPath))
        {
            problems.Add("Worktree isolation needs a repository: call UseRepository(path, mainBranch), or set WorktreeIsolationOptions.RepositoryPath.");
            return null;
        }

        int before = problems.Count;
        options.Validate(problems);
        return problems.Count == before ? options : null;
    }

    private MergeOptions? BuildMergeOptions(WorktreeIsolationOptions? worktreeOptions, List<string> problems, ILoggerFactory logging, SecretRedactor redactor)
    {
        var options = new MergeOptions
        {
            LoggerFactory = logging,
            Redactor = redactor,
            RepositoryPath = _repositoryPath!,
            MainBranch = _mainBranch,
            ReportsDirectory = _reportsDirectory,
            TimeProvider = _timeProvider,
            WorktreesDirectory = worktreeOptions?.WorktreesDirectory,
        };
        if (worktreeOptions is not null)
        {
            // Verify commands run with the same environment rules as the agents' commands.
            options.CommandEnvironment = worktreeOptions.CommandEnvironment;
        }

        foreach (Action<MergeOptions> configure in _mergeConfiguration)
        {
            configure(options);
        }

        if (_reportsDirectorySet)
        {
            options.ReportsDirectory = _reportsDirectory;
        }

        if (options.LoggerFactory is not null)
        {
            // A factory set in UseMerging redacts as the engine's does.
            options.LoggerFactory = RedactingLoggerFactory.Wrap(options.LoggerFactory, redactor);
        }

        int before = problems.Count;
        options.Validate(problems);
        return problems.Count == before ? options : null;
    }

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException(
                "This ParallelAgentsBuilder has already built its engine; a builder is single-use. Create a new ParallelAgentsBuilder to configure another engine.");
        }
    }

    private static void ThrowIfInvalid(Action<List<string>> validate)
    {
        var problems = new List<string>();
        validate(problems);
        if (problems.Count > 0)
        {
            throw new ParallelAgentsConfigurationException(problems);
        }
    }
}
