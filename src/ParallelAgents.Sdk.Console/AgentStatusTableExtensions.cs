using Spectre.Console;

namespace ParallelAgents.Sdk;

/// <summary>Runs a plan while a console shows its <see cref="AgentStatusTable"/>.</summary>
public static class AgentStatusTableExtensions
{
    /// <summary>How often the live table is redrawn, so elapsed times and idleness move between events.</summary>
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Runs <paramref name="plan"/> on <paramref name="engine"/> while <paramref name="console"/> shows a live
    /// table of every task. On a console that cannot redraw (output redirected to a file or a pipe, or no ANSI support)
    /// it writes one plain line per event instead, then the final table.</summary>
    /// <param name="engine">The engine to run the plan on.</param>
    /// <param name="plan">The plan.</param>
    /// <param name="console">Where to draw; the default is <see cref="AnsiConsole.Console"/>.</param>
    /// <param name="cancellationToken">Cancels the run (see <see cref="AgentEngine.RunAsync(TaskPlan, CancellationToken)"/>).</param>
    /// <returns>What <see cref="AgentEngine.RunAsync(TaskPlan, CancellationToken)"/> returned.</returns>
    public static Task<RunResult> RunWithLiveTableAsync(this AgentEngine engine, TaskPlan plan, IAnsiConsole? console = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(plan);
        return engine.RunWithLiveTableAsync(plan, new AgentStatusTable(plan), console, cancellationToken);
    }

    /// <summary>Runs <paramref name="plan"/> on <paramref name="engine"/> while <paramref name="console"/> shows
    /// <paramref name="table"/>, which the engine's events fill (and which the caller may feed more, such as progress
    /// reports, from other threads). On a console that cannot redraw it writes one plain line per event instead, then
    /// the final table.</summary>
    /// <param name="engine">The engine to run the plan on.</param>
    /// <param name="plan">The plan.</param>
    /// <param name="table">The table to fill and show.</param>
    /// <param name="console">Where to draw; the default is <see cref="AnsiConsole.Console"/>.</param>
    /// <param name="cancellationToken">Cancels the run (see <see cref="AgentEngine.RunAsync(TaskPlan, CancellationToken)"/>).</param>
    /// <returns>What <see cref="AgentEngine.RunAsync(TaskPlan, CancellationToken)"/> returned.</returns>
    public static async Task<RunResult> RunWithLiveTableAsync(
        this AgentEngine engine, TaskPlan plan, AgentStatusTable table, IAnsiConsole? console = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(table);
        return await ShowAsync(engine, table, console, () => engine.RunAsync(plan, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Finishes a run that did not end (see <see cref="AgentEngine.ResumeAsync(string, CancellationToken)"/>)
    /// while <paramref name="console"/> shows a live table of its tasks; plain lines on a console that cannot redraw.</summary>
    /// <param name="engine">The engine, built as the one that started the run was.</param>
    /// <param name="runId">The run's id.</param>
    /// <param name="console">Where to draw; the default is <see cref="AnsiConsole.Console"/>.</param>
    /// <param name="cancellationToken">Cancels the resumed run; it stays resumable.</param>
    /// <returns>What <see cref="AgentEngine.ResumeAsync(string, CancellationToken)"/> returned.</returns>
    public static async Task<RunResult> ResumeWithLiveTableAsync(this AgentEngine engine, string runId, IAnsiConsole? console = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        return await ShowAsync(engine, new AgentStatusTable(), console, () => engine.ResumeAsync(runId, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Starts a run with <paramref name="start"/> and shows it on <paramref name="console"/> until it ends.</summary>
    private static async Task<RunResult> ShowAsync(AgentEngine engine, AgentStatusTable table, IAnsiConsole? console, Func<Task<RunResult>> start)
    {
        console ??= AnsiConsole.Console;
        bool live = CanRedraw(console);
        long startedAt = TimeProvider.System.GetTimestamp();

        // The watcher is stopped only when the run throws: a cancelled run still publishes RunCompleted, which ends it.
        using var stopWatching = new CancellationTokenSource();
        IAsyncEnumerable<AgentEvent> events = engine.WatchAsync(stopWatching.Token);
        Action<string>? line = live
            ? null
            // Straight to the console's writer: a log line is never wrapped at the console's width, so grep finds it whole.
            : text => console.Profile.Out.Writer.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{TimeProvider.System.GetElapsedTime(startedAt).TotalSeconds,7:0.00}s  {text}"));
        Task pump = Task.Run(() => PumpAsync(events, table, line), CancellationToken.None);
        if (!live)
        {
            RunResult result = await RunAndDrainAsync(start, table, pump, stopWatching).ConfigureAwait(false);
            console.WriteLine();
            console.Write(table);
            return result;
        }

        return await console.Live(table)
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async context =>
            {
                Task<RunResult> run = RunAndDrainAsync(start, table, pump, stopWatching);
                while (!run.IsCompleted)
                {
                    // The engine's status holds every agent's totals even when this watcher fell behind and lost events.
                    if (engine.GetStatus() is { IsRunning: true } status)
                    {
                        table.Apply(status);
                    }

                    context.Refresh();
                    await Task.WhenAny(run, Task.Delay(RefreshInterval, CancellationToken.None)).ConfigureAwait(false);
                }

                context.Refresh();
                return await run.ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="console"/> can redraw a table in place: interactive and with ANSI support.</summary>
    internal static bool CanRedraw(IAnsiConsole console) =>
        console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi;

    private static async Task<RunResult> RunAndDrainAsync(Func<Task<RunResult>> start, AgentStatusTable table, Task pump, CancellationTokenSource stopWatching)
    {
        RunResult result;
        try
        {
            result = await start().ConfigureAwait(false);
        }
        catch
        {
            await stopWatching.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
            throw;
        }

        // RunCompleted is published before RunAsync returns, so the watcher reaches it and ends.
        await pump.ConfigureAwait(false);
        table.Apply(result);
        return result;
    }

    private static async Task PumpAsync(IAsyncEnumerable<AgentEvent> events, AgentStatusTable table, Action<string>? line)
    {
        try
        {
            await foreach (AgentEvent e in events.ConfigureAwait(false))
            {
                string? text = table.Apply(e);
                if (text is not null)
                {
                    line?.Invoke(text);
                }

                if (e.Kind == AgentEventKind.RunCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run threw before it ended; the caller rethrows its exception.
        }
    }
}
