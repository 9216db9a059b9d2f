namespace ParallelAgents.Sdk;

/// <summary>What the engine itself knows of one agent (one lane of one task): kept in chunks of one array per run, so
/// that an attempt of an agent that reports nothing allocates nothing. Times are UTC ticks, 0 for none.</summary>
/// <remarks>
/// <para>Written without a lock or an interlocked instruction: the fields the engine sets only by the worker running the
/// lane's attempt (a lane runs one attempt at a time), <see cref="State"/> last and with release semantics, so a
/// snapshot that reads <see cref="State"/> first sees everything written before it. A snapshot taken while an attempt
/// starts or ends may pair the new state with a time of the attempt before for that instant; it never sees a time torn.
/// Progress reports (from any thread of the agent) move <see cref="LastActivityTicks"/> forward with an interlocked
/// loop. <see cref="Detail"/> is made once and then changed under its own lock.</para>
/// </remarks>
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
