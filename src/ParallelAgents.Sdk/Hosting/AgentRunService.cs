using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk;

/// <summary>
/// Runs the plans of the <see cref="IAgentRunQueue"/> one after another on the container's engine while the host runs.
/// It resolves the engine when the host starts, so that a bad configuration stops the start with every problem listed.
/// </summary>
internal sealed class AgentRunService(IServiceProvider services, AgentRunQueue queue) : BackgroundService
{
    private const string Category = "ParallelAgents.Hosting";
    private readonly ILoggerFactory _loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
    private ILogger? _logger;
    private AgentEngine? _engine;

    // Until the engine is resolved there is no redactor; only a host that failed to start logs before that.
    private ILogger Logger => _logger ??= _loggerFactory.CreateLogger(Category);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _engine = services.GetRequiredService<AgentEngine>();
        // The service's lines about a run (a failed run's exception included) lose secrets as the engine's own do.
        _logger = RedactingLoggerFactory.Wrap(_loggerFactory, _engine.Redactor).CreateLogger(Category);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Close();
        try
        {
            // Cancels the stopping token, which cancels the run in progress, and waits for the loop to end, or for the
            // host's shutdown timeout.
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Also when the loop did not end in time: no waiting plan may be left without an answer.
            EndWaitingRuns(cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        AgentEngine engine = _engine!;
        try
        {
            while (await queue.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (!stoppingToken.IsCancellationRequested && queue.TryRead(out QueuedRun run))
                {
                    await RunAsync(engine, run, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
        finally
        {
            queue.Close();
            EndWaitingRuns(stoppingToken);
        }
    }

    private async Task RunAsync(AgentEngine engine, QueuedRun run, CancellationToken stoppingToken)
    {
        if (!run.TryStart())
        {
            return;
        }

        HostingLog.RunStarting(Logger, run.RunId, run.Plan.Tasks.Count);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, run.CancellationToken);
            RunResult result = await engine.RunAsync(run.Plan, run.RunId, linked.Token).ConfigureAwait(false);
            if (Logger.IsEnabled(LogLevel.Information))
            {
                int succeeded = result.Count(TaskState.Succeeded);
                HostingLog.RunEnded(Logger, run.RunId, result.WasCancelled, succeeded, result.Tasks.Count);
            }

            if (result.WasCancelled && engine.StateDirectory is { } state && result.Tasks.Any(t => t.State == TaskState.Cancelled))
            {
                HostingLog.RunResumable(Logger, run.RunId, RunJournal.PathFor(state, run.RunId));
            }

            run.Complete(result);
        }
#pragma warning disable CA1031 // The plan's own failure goes to its submitter; the queue goes on with the next plan.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            HostingLog.RunFailed(Logger, run.RunId, ex);
            run.Fail(ex);
        }
    }

    private void EndWaitingRuns(CancellationToken cancellationToken)
    {
        int count = queue.EndWaitingRuns("the host stopped while it waited in the queue.", cancellationToken);
        if (count > 0)
        {
            HostingLog.RunsNotStarted(Logger, count);
        }
    }
}
