namespace ParallelAgents.Sdk;

/// <summary>A request to stop one running attempt from outside the run: to restart it
/// (<see cref="AgentEngine.RestartTaskAsync(string, CancellationToken)"/>) or to cancel its task
/// (<see cref="AgentEngine.CancelTaskAsync(string, CancellationToken)"/>).</summary>
internal sealed class TaskControlRequest(bool restart)
{
    /// <summary>Whether the attempt is to start again (true) or end cancelled (false).</summary>
    public bool Restart { get; } = restart;

    /// <summary>Completes when the attempt has ended and its work is committed on its branch.</summary>
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
