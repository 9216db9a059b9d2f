using System.Diagnostics.Metrics;
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
    // Observers that follow every run: the live status and telemetry always, then those added (AddObserver) and the
    // run's journal.
    private readonly List<RunObserver> _observers = [];
    private readonly StatusObserver _status;
    private readonly TelemetryObserver _telemetry;

    /// <summary>What the engine removes from everything it writes (logs, reports, status files): the configured secrets
    /// and strings that look like API keys. Observers that write files use it.</summary>
    internal SecretRedactor Redactor { get; }
    private int _running;
    private Task _runEnded = Task.CompletedTask;
    private RunExecution? _current;
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
        IMeterFactory? meterFactory = null,
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
        // The engine's own observers of every run (live status and reports, telemetry); each run adds its journal.
        _status = new StatusObserver(options, timeProvider, _events, text => Redactor.Redact(text), _logger);
        _telemetry = new TelemetryObserver(
            meterFactory is null ? TelemetryInstruments.Shared : new TelemetryInstruments(meterFactory.Create(
                new MeterOptions(ParallelAgentsTelemetry.MeterName) { Version = ParallelAgentsTelemetry.Version })),
            timeProvider,
            text => Redactor.Redact(text));
    }

    /// <summary>Adds an observer of every later run, called before the run's journal (so that a test can stop a
    /// process between a step and its journal record).</summary>
    internal void AddObserver(RunObserver observer) => _observers.Add(observer);

    /// <summary>The names of the isolation providers the engine has, in lower case.</summary>
    public IReadOnlyCollection<string> IsolationProviders => _providers.Keys;

    /// <summary>The shared memory every agent gets, or <see langword="null"/> when none was configured.</summary>
    public ISharedMemory? SharedMemory => _memory;

    /// <summary>The most agents the engine runs at once.</summary>
    public int MaxParallelAgents => _options.MaxParallelAgents;

    /// <summary>The full path of the folder where the engine keeps its runs' journals (see
    /// <see cref="AgentEngineOptions.StateDirectory"/>), or <see langword="null"/> when it keeps none.</summary>
    public string? StateDirectory => _options.StateDirectory;

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
    internal Task<RunResult> RunAsync(TaskPlan plan, string? runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return RunCoreAsync(plan, runId, resume: null, cancellationToken);
    }

    /// <summary>
    /// Finishes a run that did not end (its process was killed, or it was cancelled, such as by a host's shutdown) from
    /// its journal in <see cref="StateDirectory"/>: the plan and everything done are read from there, nothing else is needed.
    /// </summary>
    /// <param name="runId">The run's id (<see cref="RunResult.RunId"/>, <see cref="QueuedRun.RunId"/>, or the folder's
    /// name under <c>runs/</c>).</param>
    /// <param name="cancellationToken">Cancels the resumed run as <see cref="RunAsync(TaskPlan, CancellationToken)"/>'s
    /// token does; the run stays resumable.</param>
    /// <returns>The result of every task of the run: those that ended before keep their state (succeeded tasks are not
    /// run again and their merges are not made again), the others run now.</returns>
    /// <remarks>
    /// <para>Tasks that succeeded, failed or were skipped, and tasks cancelled with <see cref="CancelTaskAsync"/>, stay as
    /// they ended. Tasks that were running, queued, retrying or cancelled with the run start again; a task's first new
    /// attempt continues on its branch from its last commit (what an agent had not committed when the process was
    /// killed is lost; a cancelled agent's work in progress was committed), numbered after the attempts it had
    /// started, with a fresh retry budget. A merge that moved the main branch but whose journal record was lost is
    /// found on the main branch (by the run and task named in its commit message) and counts as done.</para>
    /// <para>Build the engine as the one that started the run was (the same repository, isolation and agent); the
    /// journal keeps what was done, not how the engine was configured.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">The engine keeps no journals, no journal of that run exists, or
    /// another run is in progress on this engine.</exception>
    /// <exception cref="InvalidDataException">The journal is damaged before its last record; the message says where.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public Task<RunResult> ResumeAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        string state = _options.StateDirectory ?? throw new InvalidOperationException(
            $"This engine keeps no run journals, so it cannot resume run '{runId}': it has no repository and no state directory. " +
            "Build it as the engine that started the run was, with UseRepository(path) or WithStateDirectory(path).");
        string path = RunJournal.PathFor(state, runId);
        if (runId.IndexOfAny(['/', '\\']) >= 0 || runId is "." or ".." || !File.Exists(path))
        {
            string runs = Path.Combine(state, "runs");
            string[] known = Directory.Exists(runs)
                ? [.. Directory.EnumerateDirectories(runs).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).TakeLast(10)]
                : [];
            throw new InvalidOperationException(
                $"No journal of run '{runId}' is in {runs}; " + (known.Length == 0 ? "no run has a journal there." : $"the latest runs there are {string.Join(", ", known)}."));
        }

        RunJournalState journal = RunJournalState.Read(path, _logger);
        return RunCoreAsync(journal.Plan, runId, journal, cancellationToken);
    }

    /// <summary>Stops the running attempts of a task of the run in progress and starts each again, on its branch: the
    /// work the stopped attempt had done is committed there first, so the new attempt sees it.</summary>
    /// <param name="taskId">The task's id.</param>
    /// <param name="cancellationToken">Stops the waiting; the restart goes on.</param>
    /// <returns>A task that completes when the stopped attempts have ended and their work is committed (an agent that
    /// ignores cancellation is waited for). The new attempt is queued by then; it counts as one of the task's attempts.</returns>
    /// <exception cref="ArgumentException">The run has no such task; the message lists its tasks.</exception>
    /// <exception cref="InvalidOperationException">No run is in progress, or the task has ended or has no attempt running.</exception>
    public Task RestartTaskAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        return CurrentRun(taskId, "restart").RestartTask(taskId).WaitAsync(cancellationToken);
    }

    /// <summary>Cancels one task of the run in progress while the rest goes on: the task ends
    /// <see cref="TaskState.Cancelled"/>, its running agents are stopped and their work in progress is committed on their
    /// branches, the tasks that depend on it are skipped, and the others go on. A resumed run leaves it cancelled.</summary>
    /// <param name="taskId">The task's id.</param>
    /// <param name="cancellationToken">Stops the waiting; the cancellation goes on.</param>
    /// <returns>A task that completes when the task's agents have stopped and their work is committed.</returns>
    /// <exception cref="ArgumentException">The run has no such task; the message lists its tasks.</exception>
    /// <exception cref="InvalidOperationException">No run is in progress, or the task has already ended.</exception>
    public Task CancelTaskAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        return CurrentRun(taskId, "cancel").CancelTask(taskId).WaitAsync(cancellationToken);
    }

    private RunExecution CurrentRun(string taskId, string what)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return Volatile.Read(ref _current) ?? throw new InvalidOperationException(
            $"No run is in progress on this engine, so task '{taskId}' cannot be {what}ed; {what} tasks while RunAsync or ResumeAsync runs.");
    }

    private async Task<RunResult> RunCoreAsync(TaskPlan plan, string? runId, RunJournalState? resume, CancellationToken cancellationToken)
    {
        IIsolationProvider?[]? providers = ResolveProviders(plan);
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
            // Every line logged for the run, by the engine or its providers, carries the run's id; a logger that writes
            // nothing at any level has no use for a scope.
            using IDisposable? runScope = _logger.IsEnabled(LogLevel.Critical) ? _logger.BeginScope(new RunScope(runId)) : null;
            List<IIsolationProviderLifecycle> started = await StartProvidersAsync(runId, providers, linked.Token).ConfigureAwait(false);
            RunJournal? journal = null;
            try
            {
                journal = OpenJournal(runId, resume);
                var execution = new RunExecution(runId, plan, _options, _agent, providers, _memory, _time, _logger, _events, _repository,
                    new EngineRunObserver(_status, _telemetry, CompositeRunObserver.Create(journal is null ? _observers : [.. _observers, journal])), journal, resume);
                Volatile.Write(ref _current, execution);
                return await execution.RunAsync(linked.Token).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _current, null);
                journal?.Dispose();
                await EndProvidersAsync(runId, started).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
            ended.TrySetResult();
        }
    }

    /// <summary>What every agent of the current run is doing: its state, attempt, files changed, last activity, Active
    /// or Idle (<see cref="AgentEngineOptions.IdleThreshold"/>), tool calls, tokens, cost and elapsed time.</summary>
    /// <returns>A snapshot of the run in progress; between runs, the last run's final status (with
    /// <see cref="RunStatus.IsRunning"/> false); before the first run, an empty status with no
    /// <see cref="RunStatus.RunId"/> and no agents. Cheap enough to call a few times a second for a live view; for
    /// every change as it happens, watch <see cref="WatchAsync(CancellationToken)"/> for
    /// <see cref="AgentEventKind.AgentProgress"/> events.</returns>
    public RunStatus GetStatus() => _status.GetStatus();

    /// <summary>Streams the engine's events (tasks queued, started, retrying, succeeded, failed, skipped, cancelled,
    /// runs started and completed, merges, conflict forecasts, and each agent's progress reports with its status) as
    /// they happen.</summary>
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
        _status.Dispose();
        _disposeCts.Dispose();
        // Last made, first disposed: a provider built on another (containers on the engine's worktrees) goes first.
        for (int i = _ownedProviders.Count - 1; i >= 0; i--)
        {
            await _ownedProviders[i].DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The run's journal: a new one, or for a resumed run its own, once the merges its journal missed are
    /// found on the main branch and written down.</summary>
    private RunJournal? OpenJournal(string runId, RunJournalState? resume)
    {
        if (_options.StateDirectory is not { } state)
        {
            return null;
        }

        if (resume is null)
        {
            return RunJournal.Create(state, runId, _logger, Redactor);
        }

        var journal = RunJournal.Append(resume.Path, resume.ValidLength, _logger, Redactor);
        try
        {
            RecoverMerges(resume, journal);
        }
        catch
        {
            journal.Dispose();
            throw;
        }

        int done = resume.Tasks.Count(t => t.IsDone);
        JournalLog.Resuming(_logger, runId, resume.Path, done, resume.Tasks.Length - done);
        return journal;
    }

    /// <summary>A task whose merge reached the main branch succeeded, even when the process died before the journal
    /// said so: after the merge, only bookkeeping was left.</summary>
    private void RecoverMerges(RunJournalState resume, RunJournal journal)
    {
        Dictionary<string, (string Commit, string? Branch)> onMain = _repository is null
            ? []
            : MergedOnMain.Find(_repository.Merge.RepositoryPath, _repository.Merge.MainBranch, resume.RunId, resume.BaseRevision);
        DateTimeOffset now = _time.GetUtcNow();
        for (int i = 0; i < resume.Tasks.Length; i++)
        {
            JournaledTask task = resume.Tasks[i];
            if (task.IsDone)
            {
                continue;
            }

            if (task.Merge is null && (onMain.TryGetValue(task.TaskId, out (string Commit, string? Branch) found) || FastForwarded(resume, i, out found)))
            {
                string commit = found.Commit;
                string branch = found.Branch ?? $"(the branch of task {task.TaskId})";
                JournalLog.MergeRecovered(_logger, resume.RunId, task.TaskId, _repository!.Merge.MainBranch, commit);
                journal.MergeRecovered(task.TaskId, branch, commit, now);
                task.Merge = new MergeResult { TaskId = task.TaskId, Branch = branch, Status = MergeStatus.Merged, MergedCommit = commit, CompletedAt = now,
                    Message = "Merged before the process stopped; found on the main branch when the run resumed." };
            }

            if (task.Merge is not null)
            {
                const string reason = "merged before the process stopped";
                task.State = TaskState.Succeeded;
                task.Reason = null;
                task.CompletedAt = now;
                journal.TaskEnded(resume.Plan.Tasks[i], i, TaskState.Succeeded, reason, now);
            }
        }
    }

    /// <summary>Whether one of the task's branches was fast-forwarded into the main branch.</summary>
    private bool FastForwarded(RunJournalState resume, int taskIndex, out (string Commit, string? Branch) found)
    {
        found = default;
        if (_repository?.Worktrees is not { } worktrees)
        {
            return false;
        }

        AgentTask task = resume.Plan.Tasks[taskIndex];
        for (int lane = 0; lane < task.AgentCount; lane++)
        {
            string branch = worktrees.BranchFor(new WorkspaceRequest { RunId = resume.RunId, Task = task, Lane = lane });
            if (MergedOnMain.FastForwarded(_repository.Merge.RepositoryPath, _repository.Merge.MainBranch, branch, resume.RunId) is { } tip)
            {
                found = (tip, branch);
                return true;
            }
        }

        return false;
    }

    private async Task<List<IIsolationProviderLifecycle>> StartProvidersAsync(string runId, IIsolationProvider?[]? providers, CancellationToken cancellationToken)
    {
        var started = new List<IIsolationProviderLifecycle>();
        foreach (IIsolationProviderLifecycle lifecycle in (providers ?? []).OfType<IIsolationProviderLifecycle>().Distinct())
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

    /// <returns>Each task's provider, or <see langword="null"/> when no task has one (an engine without isolation
    /// providers), so that such a run does not carry an array of nothing.</returns>
    private IIsolationProvider?[]? ResolveProviders(TaskPlan plan)
    {
        IIsolationProvider?[]? providers = null;
        if (_providers.Count == 0 && !plan.Graph.AnyIsolation)
        {
            // Nothing to resolve, and no task to read: an engine without isolation runs agents that need no workspace.
            return null;
        }

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
                (providers ??= new IIsolationProvider?[plan.Tasks.Count])[i] = provider;
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
