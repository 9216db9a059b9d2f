using System.Diagnostics.Metrics;

namespace ParallelAgents.Sdk;

/// <summary>The instruments of one <c>ParallelAgents</c> meter (see <see cref="ParallelAgentsTelemetry"/> for what each measures).</summary>
internal sealed class TelemetryInstruments
{
    // Made on first use, so that a process whose engines all have a meter factory never publishes the shared meter.
    private static readonly Lazy<TelemetryInstruments> s_shared =
        new(() => new TelemetryInstruments(new Meter(ParallelAgentsTelemetry.MeterName, ParallelAgentsTelemetry.Version)));

    public TelemetryInstruments(Meter meter)
    {
        Tasks = meter.CreateCounter<long>("parallel_agents.tasks", "{task}", "Tasks that reached their final state.");
        Attempts = meter.CreateCounter<long>("parallel_agents.attempts", "{attempt}", "Attempts that ended.");
        AttemptDuration = Seconds(meter, "parallel_agents.attempt.duration", "How long attempts took, merge included.", LongBuckets);
        Tokens = meter.CreateCounter<long>("parallel_agents.tokens", "{token}", "Tokens used by attempts, from the usage their agents returned.");
        Cost = meter.CreateCounter<double>("parallel_agents.cost", "{cost}", "What attempts cost, in the currency of the agent's model prices.");
        ModelTokens = Histogram<long>(meter, "gen_ai.client.token.usage", "{token}", "Tokens of each reported model call.", TokenBuckets);
        ModelDuration = Seconds(meter, "gen_ai.client.operation.duration", "How long each reported model call took.", ShortBuckets);
        ToolCalls = meter.CreateCounter<long>("parallel_agents.tool_calls", "{call}", "Tool calls the agents reported.");
        Commands = meter.CreateCounter<long>("parallel_agents.commands", "{command}", "Commands the agents reported running.");
        CommandDuration = Seconds(meter, "parallel_agents.command.duration", "How long reported commands took.", ShortBuckets);
        ConflictsPredicted = meter.CreateCounter<long>("parallel_agents.conflicts.predicted", "{conflict}", "Conflicts predicted while agents worked.");
        ConflictsMet = meter.CreateCounter<long>("parallel_agents.conflicts.met", "{conflict}", "Merges that met a conflict.");
        WorkspaceStart = Seconds(meter, "parallel_agents.workspace.start.duration", "How long making a workspace took.", ShortBuckets);
        MergeDuration = Seconds(meter, "parallel_agents.merge.duration", "How long merges took, resolution and verification included.", ShortBuckets);
        RunDuration = Seconds(meter, "parallel_agents.run.duration", "How long runs took.", LongBuckets);
    }

    /// <summary>The instruments of the process-wide meter, for engines built without an <see cref="IMeterFactory"/>.</summary>
    public static TelemetryInstruments Shared => s_shared.Value;

    public Counter<long> Tasks { get; }

    public Counter<long> Attempts { get; }

    public Histogram<double> AttemptDuration { get; }

    public Counter<long> Tokens { get; }

    public Counter<double> Cost { get; }

    public Histogram<long> ModelTokens { get; }

    public Histogram<double> ModelDuration { get; }

    public Counter<long> ToolCalls { get; }

    public Counter<long> Commands { get; }

    public Histogram<double> CommandDuration { get; }

    public Counter<long> ConflictsPredicted { get; }

    public Counter<long> ConflictsMet { get; }

    public Histogram<double> WorkspaceStart { get; }

    public Histogram<double> MergeDuration { get; }

    public Histogram<double> RunDuration { get; }

    // The semantic conventions' advice for gen_ai durations and token counts; agents' attempts and runs last minutes to hours.
    private static readonly double[] ShortBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly double[] LongBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    private static Histogram<double> Seconds(Meter meter, string name, string description, double[] buckets) =>
        Histogram(meter, name, "s", description, buckets);

    private static Histogram<T> Histogram<T>(Meter meter, string name, string unit, string description, T[] buckets)
        where T : struct
    {
#if NET9_0_OR_GREATER
        return meter.CreateHistogram(name, unit, description, tags: null, new InstrumentAdvice<T> { HistogramBucketBoundaries = buckets });
#else
        // net8.0's meters take no bucket advice; exporters use their defaults (or a view the application configures).
        _ = buckets;
        return meter.CreateHistogram<T>(name, unit, description);
#endif
    }
}
