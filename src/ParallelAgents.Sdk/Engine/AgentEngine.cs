using System.Globalization;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>
/// Runs task plans: each task by an agent in its own workspace, in dependency and priority order, with at most
/// <see cref="AgentEngineOptions.MaxParallelAgents"/> agents at once. Made by <see cref="ParallelAgentsBuilder"/>.
/// </summary>
/// <remarks>
/// One run at a time per engine; an engine can run any number of plans one after another. Dispose the engine to
/// cancel a run in progress and end every <see cref="WatchAsync(CancellationToken)"/> stream.
/// </remarks>
public sealed class AgentEngine : IAsyncDisposable
{
    private readonly AgentEngineOptions _options;
    private readonly IAgent _agent;
    private readonly Dictionary<string, IIsolationProvider> _providers;
    private readonly ISharedMemory? _memory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EventHub _events;
    private readonly CancellationTokenSource _disposeCts = new();
    private readonly RepositorySettings? _repository;
    private readonly IReadOnlyList<IAsyncDisposable> _ownedProviders;
    private readonly List<RunObserver> _observers = [];

    /// <summary>What the engine removes from everything it writes (logs, reports, status files): the configured secrets
    /// and strings that look like API keys. Observers that write files use it.</summary>
    internal SecretRedactor Redactor { get; }
    private int _running;
    private Task _runEnded = Task.CompletedTask;
    private int _disposed;

    internal AgentEngine(
        AgentEngineOptions options,
        IAgent agent,
        IEnumerable<IIsolationProvider> providers,
        ISharedMemory? memory,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        RepositorySettings? repository = null,
        IReadOnlyList<IAsyncDisposable>? ownedProviders = null,
        SecretRedactor? redactor = null)
    {
        Redactor = redactor ?? SecretRedactor.From(options.Redaction);
        loggerFactory = RedactingLoggerFactory.Wrap(loggerFactory, Redactor);
        _repository = repository;
        _ownedProviders = ownedProviders ?? [];
        _options = options;
        _agent = agent;
        _providers = providers.ToDictionary(p => p.Name.Trim().ToLowerInvariant(), StringComparer.Ordinal);
        _memory = memory;
        _time = timeProvider;
        _logger = loggerFactory.CreateLogger("ParallelAgents.Engine");
        _events = new EventHub(options.EventBufferCapacity, timeProvider);
        // Observers that follow every run (live status, reports, telemetry, the run journal) are added here.
    }

    /// <summary>The names of the isolation providers the engine has, in lower case.</summary>
    public IReadOnlyCollection<string> IsolationProviders => _providers.Keys;

    /// <summary>The shared memory every agent gets, or <see langword="null"/> when none was configured.</summary>
    public ISharedMemory? SharedMemory => _memory;

    /// <summary>The most agents the engine runs at once.</summary>
    public int MaxParallelAgents => _options.MaxParallelAgents;

    /// <summary>Runs every task of <paramref name="plan"/> and returns how each ended.</summary>
    /// <param name="plan">The validated plan to run.</param>
    /// <param name="cancellationToken">Cancels the run: every agent is asked to stop, no new attempt starts, and the
    /// run returns the honest state of every task (it does not throw <see cref="OperationCanceledException"/>).</param>
    /// <returns>The result of every task. A task's failure is reported here; it does not throw.</returns>
    /// <exception cref="TaskPlanException">A task needs an isolation the engine has no provider for.</exception>
    /// <exception cref="InvalidOperationException">Another run is in progress on this engine.</exception>
    /// <remarks>Before the first task starts, every provider the plan uses that implements
    /// <see cref="IIsolationProviderLifecycle"/> is started; an exception it throws (such as a container provider's
    /// when no Docker engine answers) ends the run before any agent starts, and reaches the caller.</remarks>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public Task<RunResult> RunAsync(TaskPlan plan, CancellationToken cancellationToken = default) =>
        RunAsync(plan, runId: null, cancellationToken);

    /// <summary>Runs <paramref name="plan"/> under <paramref name="runId"/>, given beforehand by
    /// <see cref="CreateRunId(TimeProvider)"/> (the run queue hands it out when a plan is submitted); <see langword="null"/> makes one.</summary>
    internal async Task<RunResult> RunAsync(TaskPlan plan, string? runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        IIsolationProvider?[] providers = ResolveProviders(plan);
        if (Interlocked.CompareExchange(ref _running, 1, 0) != 0)
        {
            throw new InvalidOperationException("A run is already in progress on this engine. Await it before starting another, or build a second engine.");
        }

        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _runEnded, ended.Task);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposeCts.Token);
            runId ??= CreateRunId(_time);
            List<IIsolationProviderLifecycle> started = await StartProvidersAsync(runId, providers, linked.Token).ConfigureAwait(false);
            try
            {
                var execution = new RunExecution(runId, plan, _options, _agent, providers, _memory, _time, _logger, _events, _repository,
                    CompositeRunObserver.Create(_observers));
                return await execution.RunAsync(linked.Token).ConfigureAwait(false);
            }
            finally
            {
                await EndProvidersAsync(runId, started).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
            ended.TrySetResult();
        }
    }

    /// <summary>Streams the engine's events (tasks queued, started, retrying, succeeded, failed, skipped, cancelled,
    /// runs started and completed) as they happen.</summary>
    /// <param name="cancellationToken">Ends the stream.</param>
    /// <returns>Every event published after this call, in order. The stream ends when the token is cancelled or the
    /// engine is disposed. Publishing never waits for a watcher: one that falls more than
    /// <see cref="AgentEngineOptions.EventBufferCapacity"/> events behind loses its oldest and first receives an
    /// <see cref="AgentEventKind.EventsDropped"/> event that says how many. Several watchers may watch at once.</returns>
    public IAsyncEnumerable<AgentEvent> WatchAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _events.Subscribe(cancellationToken);
    }

    /// <summary>Cancels a run in progress, waits for it to end, and ends every event stream.</summary>
    /// <returns>A task that completes when the engine is disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposeCts.CancelAsync().ConfigureAwait(false);
        // A cancelled run returns within its grace period, even when an agent ignores cancellation.
        await Volatile.Read(ref _runEnded).ConfigureAwait(false);

        _events.Complete();
        _disposeCts.Dispose();
        // Last made, first disposed: a provider built on another (containers on the engine's worktrees) goes first.
        for (int i = _ownedProviders.Count - 1; i >= 0; i--)
        {
            await _ownedProviders[i].DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<List<IIsolationProviderLifecycle>> StartProvidersAsync(string runId, IIsolationProvider?[] providers, CancellationToken cancellationToken)
    {
        var started = new List<IIsolationProviderLifecycle>();
        foreach (IIsolationProviderLifecycle lifecycle in providers.OfType<IIsolationProviderLifecycle>().Distinct())
        {
            try
            {
                await lifecycle.StartRunAsync(runId, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await EndProvidersAsync(runId, started).ConfigureAwait(false);
                throw;
            }

            started.Add(lifecycle);
        }

        return started;
    }

    private async Task EndProvidersAsync(string runId, List<IIsolationProviderLifecycle> started)
    {
        foreach (IIsolationProviderLifecycle lifecycle in started)
        {
            try
            {
                // Not cancellable: a cancelled run must still release what its providers made for it.
                await lifecycle.EndRunAsync(runId, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A provider's cleanup failure must not hide the run's result; its sweeper retries later.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ProviderEndFailed(_logger, runId, (lifecycle as IIsolationProvider)?.Name ?? lifecycle.GetType().Name, ex);
            }
        }
    }

    private IIsolationProvider?[] ResolveProviders(TaskPlan plan)
    {
        var providers = new IIsolationProvider?[plan.Tasks.Count];
        var problems = new List<TaskPlanProblem>();
        for (int i = 0; i < plan.Tasks.Count; i++)
        {
            AgentTask task = plan.Tasks[i];
            if (task.Isolation is null && _providers.Count == 0)
            {
                // An engine without isolation providers runs agents that need no workspace (AgentContext.Workspace is null).
                continue;
            }

            string name = task.Isolation ?? _options.DefaultIsolation.Trim().ToLowerInvariant();
            if (_providers.TryGetValue(name, out IIsolationProvider? provider))
            {
                providers[i] = provider;
                continue;
            }

            SourceLocation? where = task.FieldLocations?.Fields.GetValueOrDefault("isolation") ?? task.Location;
            string known = _providers.Count == 0 ? "none" : string.Join(", ", _providers.Keys.Order(StringComparer.Ordinal));
            string how = $"register a provider named '{name}' with ParallelAgentsBuilder.UseIsolation(provider)";
            string what = task.Isolation is null ? $"uses the default isolation '{name}'" : $"asks for isolation '{name}'";
            problems.Add(new TaskPlanProblem(where, task.Id,
                $"task '{task.Id}' {what}, but the engine has no such provider (it has: {known}); {how}."));
        }

        return problems.Count == 0 ? providers : throw new TaskPlanException(problems);
    }

    /// <summary>A new run id: the start time, for sorting, and a random suffix.</summary>
    internal static string CreateRunId(TimeProvider time) =>
        string.Create(CultureInfo.InvariantCulture, $"{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..6]}");
}
