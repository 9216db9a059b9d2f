namespace ParallelAgents.Sdk;

/// <summary>A plan submitted to the <see cref="IAgentRunQueue"/>: its run id and how its run ends.</summary>
public sealed class QueuedRun
{
    private const int Waiting = 0;
    private const int Running = 1;
    private const int Ended = 2;

    private readonly TaskCompletionSource<RunResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _registration;
    private int _state;

    internal QueuedRun(string runId, TaskPlan plan, DateTimeOffset submittedAt, CancellationToken cancellationToken)
    {
        RunId = runId;
        Plan = plan;
        SubmittedAt = submittedAt;
        CancellationToken = cancellationToken;
    }

    /// <summary>The run's id, given when the plan is submitted; the <see cref="RunResult.RunId"/>, events, logs,
    /// branches' commits and reports of the run carry it.</summary>
    public string RunId { get; }

    /// <summary>The plan to run.</summary>
    public TaskPlan Plan { get; }

    /// <summary>When the plan was submitted.</summary>
    public DateTimeOffset SubmittedAt { get; }

    /// <summary>How the run ended.</summary>
    /// <value>A <see cref="RunResult"/> once the plan ran, cancelled or not (a task's failure is reported in it, as
    /// <see cref="AgentEngine.RunAsync(TaskPlan, CancellationToken)"/> does). It fails with a
    /// <see cref="RunNotStartedException"/> when the plan was never started (the host stopped, or the submission's
    /// token was cancelled, while it waited), and with the engine's exception when the engine refused the plan (a
    /// <see cref="TaskPlanException"/> for a task that needs an isolation the engine lacks).</value>
    public Task<RunResult> Completion => _completion.Task;

    internal CancellationToken CancellationToken { get; }

    /// <summary>Takes the run off the queue when its token is cancelled while it waits.</summary>
    internal void WatchCancellation() =>
        _registration = CancellationToken.Register(static state =>
        {
            var run = (QueuedRun)state!;
            run.TryNotRun($"The run {run.RunId} was not started: it was cancelled while it waited in the queue.", run.CancellationToken);
        }, this);

    /// <summary>Claims the run for the hosted service; false when it already ended (cancelled while it waited).</summary>
    internal bool TryStart() => Interlocked.CompareExchange(ref _state, Running, Waiting) == Waiting;

    /// <summary>Ends a run that never started.</summary>
    internal bool TryNotRun(string message, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Ended, Waiting) != Waiting)
        {
            return false;
        }

        _completion.TrySetException(new RunNotStartedException(RunId, message, cancellationToken));
        return true;
    }

    internal void Complete(RunResult result)
    {
        Volatile.Write(ref _state, Ended);
        _registration.Dispose();
        _completion.TrySetResult(result);
    }

    internal void Fail(Exception exception)
    {
        Volatile.Write(ref _state, Ended);
        _registration.Dispose();
        _completion.TrySetException(exception);
    }
}
