namespace ParallelAgents.Sdk;

/// <summary>What the engine itself knows of one agent (one lane of one task): kept in one array per run, so that an
/// attempt of an agent that reports nothing allocates nothing. Times are UTC ticks, 0 for none. Read and written
/// under the run's lock for the lane (see <see cref="RunTracker"/>).</summary>
internal struct LaneSlot
{
    public TaskState State;
    public int Attempt;
    public long StartedTicks;
    public long AttemptStartedTicks;
    public long EndedTicks;
    public long LastActivityTicks;

    /// <summary>What the agent reported (tokens, tool calls, files), made at its first report.</summary>
    public LaneDetail? Detail;
}
