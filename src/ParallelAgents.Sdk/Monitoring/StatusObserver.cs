using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>
/// Keeps every agent's live status (<see cref="AgentEngine.GetStatus"/>), streams progress reports to watchers as
/// <see cref="AgentEventKind.AgentProgress"/> events, writes <c>status_&lt;unix-time&gt;.json</c> on a timer while a run
/// is in progress and <c>run_&lt;run-id&gt;.json</c> when it ends.
/// </summary>
/// <remarks>Per attempt it costs a few plain writes and no allocation unless the agent reports progress or usage;
/// snapshots, events and files are built only when asked for, watched or due.</remarks>
internal sealed class StatusObserver : RunObserver, IDisposable
{
    private readonly TimeProvider _time;
    private readonly EventHub _events;
    private readonly Func<string, string> _redact;
    private readonly ILogger _logger;
    private readonly TimeSpan _idleThreshold;
    private readonly TimeSpan? _interval;
    private readonly string? _reportsPath;
    private RunTracker? _run;
    private ITimer? _timer;
    private int _writing;

    /// <param name="options">The engine's options: idle threshold, status interval and reports folder.</param>
    /// <param name="time">The engine's clock.</param>
    /// <param name="events">The engine's event stream.</param>
    /// <param name="redact">Removes secrets from text that came from an agent, a command or a model.</param>
    /// <param name="logger">Where failures to write reports are logged.</param>
    public StatusObserver(AgentEngineOptions options, TimeProvider time, EventHub events, Func<string, string> redact, ILogger logger)
    {
        _time = time;
        _events = events;
        _redact = redact;
        _logger = logger;
        _idleThreshold = options.IdleThreshold;
        _interval = options.StatusReportInterval;
        _reportsPath = options.ReportsPath;
    }

    /// <summary>The current run's status; between runs the last run's final status; before any run an empty one.</summary>
    public RunStatus GetStatus()
    {
        DateTimeOffset now = _time.GetUtcNow();
        return Volatile.Read(ref _run) is { } run
            ? run.Snapshot(now, _idleThreshold)
            : new RunStatus { Timestamp = now, Summary = new RunStatusSummary() };
    }

    public override void RunStarted(string runId, TaskPlan plan, DateTimeOffset at) => RunStarted(runId, plan, at, null);

    /// <summary>A run started; with <paramref name="states"/>, the engine's run, whose task states say part of what
    /// the status shows.</summary>
    public void RunStarted(string runId, TaskPlan plan, DateTimeOffset at, TaskStates? states)
    {
        var run = new RunTracker(runId, plan, at, states);
        Volatile.Write(ref _run, run);
        if (_reportsPath is not null && _interval is { } interval)
        {
            ITimer timer = _time.CreateTimer(static state => ((StatusTick)state!).Fire(), new StatusTick(this, run), interval, interval);
            Interlocked.Exchange(ref _timer, timer)?.Dispose();
        }
    }

    public override void AttemptStarted(string runId, AgentTask task, int taskIndex, int attempt, int lane, DateTimeOffset at)
    {
        if (Volatile.Read(ref _run) is { } run && run.Slot(taskIndex, lane) is int slot and >= 0)
        {
            run.AttemptStarted(taskIndex, lane, slot, attempt, at);
        }
    }

    public override void Progress(AgentTask task, int attempt, int lane, AgentProgress progress)
    {
        if (Volatile.Read(ref _run) is not { } run || run.Slot(task.Id, lane) is not (int slot and >= 0))
        {
            return;
        }

        DateTimeOffset now = _time.GetUtcNow();
        string action = run.Progress(slot, progress, now, _redact);
        if (_events.HasWatchers)
        {
            _events.Publish(new AgentEvent
            {
                Kind = AgentEventKind.AgentProgress,
                RunId = run.RunId,
                Timestamp = now,
                TaskId = task.Id,
                Attempt = attempt,
                Lane = lane,
                Message = action,
                Progress = progress with
                {
                    Name = progress.Name is null ? null : _redact(progress.Name),
                    Path = progress.Path is null ? null : _redact(progress.Path),
                    Message = progress.Message is null ? null : _redact(progress.Message),
                },
                AgentStatus = run.Agent(run.Plan.IndexOf(task.Id), lane, now, _idleThreshold),
            });
        }
    }

    public override void WorkspaceCommitted(AgentTask task, int attempt, int lane, WorkspaceCommit commit)
    {
        if (commit.ChangedFiles.Count > 0 && Volatile.Read(ref _run) is { } run && run.Slot(task.Id, lane) is int slot and >= 0)
        {
            run.AddFiles(slot, commit.ChangedFiles, _redact);
        }
    }

    public override void AttemptEnded(AgentTask task, int taskIndex, int attempt, int lane, AttemptStatus status, TimeSpan duration, string? error, AgentUsage? usage)
    {
        if (Volatile.Read(ref _run) is { } run && run.Slot(taskIndex, lane) is int slot and >= 0)
        {
            run.AttemptEnded(taskIndex, lane, slot, attempt, status, duration, usage);
        }
    }

    public override void TaskEnded(AgentTask task, int taskIndex, TaskState state, string? reason, DateTimeOffset at) =>
        Volatile.Read(ref _run)?.TaskEnded(taskIndex, state);

    public override void MergeEnded(AgentTask task, MergeResult merge) =>
        Volatile.Read(ref _run)?.Merged(task.Id, merge.Files, _redact);

    public override void RunEnded(RunResult result)
    {
        Interlocked.Exchange(ref _timer, null)?.Dispose();
        if (Volatile.Read(ref _run) is not { } run || run.RunId != result.RunId)
        {
            return;
        }

        run.End(result.CompletedAt);
        if (_reportsPath is null)
        {
            return;
        }

        try
        {
            string path = StatusReports.WriteRun(_reportsPath, result, run.Snapshot(result.CompletedAt, _idleThreshold), _redact);
            StatusLog.RunReportWritten(_logger, result.RunId, path);
        }
#pragma warning disable CA1031 // An observer never throws: a report that cannot be written must not change the run's result.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            StatusLog.RunReportFailed(_logger, result.RunId, _reportsPath, ex);
        }
    }

    /// <summary>Stops the status timer of a run that never reported its end (only a fault in the engine does that).</summary>
    public void Dispose() => Interlocked.Exchange(ref _timer, null)?.Dispose();

    private void WriteStatus(RunTracker run)
    {
        // A slow disk must not pile up writers: a tick that finds the last write still going is skipped.
        if (Interlocked.Exchange(ref _writing, 1) != 0)
        {
            return;
        }

        try
        {
            if (run.EndedAt is null && ReferenceEquals(Volatile.Read(ref _run), run))
            {
                StatusReports.WriteStatus(_reportsPath!, run.Snapshot(_time.GetUtcNow(), _idleThreshold), _redact);
            }
        }
#pragma warning disable CA1031 // A timer callback that throws would crash the process; the run goes on without this report.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            StatusLog.StatusReportFailed(_logger, run.RunId, _reportsPath!, ex);
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    /// <summary>The timer's state: which run a tick belongs to, so that a late tick of an ended run writes nothing.</summary>
    private sealed class StatusTick(StatusObserver owner, RunTracker run)
    {
        public void Fire() => owner.WriteStatus(run);
    }
}
