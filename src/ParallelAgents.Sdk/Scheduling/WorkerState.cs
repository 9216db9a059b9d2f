namespace ParallelAgents.Sdk;

/// <summary>What one worker of a run carries from one attempt to the next: used only on that worker's own flow (an
/// attempt that goes asynchronous is awaited by its worker before it takes another), so nothing here is shared.</summary>
internal sealed class WorkerState
{
    /// <summary>The attempts of the dependents the worker's last attempt made ready: added with the take of its next
    /// attempt, under one lock.</summary>
    public List<WorkItem> Released { get; } = [];

    /// <summary>How many tasks the worker ended since its last take; counted with that take (see
    /// <see cref="ReadyQueue.TryAddAndTake"/>).</summary>
    public int Finished;

    /// <summary>The control source of the worker's last attempt, when nothing cancelled it and no controller reached for
    /// it: its next attempt uses it instead of making one (see <see cref="RunExecution"/>'s EndControl).</summary>
    public CancellationTokenSource? Control;

    /// <summary>When the worker's last attempt ended (a <see cref="TimeProvider.GetTimestamp"/> reading), while the worker
    /// goes straight on to its next attempt; 0 once it waited. That attempt starts at this reading: one clock reading per
    /// attempt instead of two, where the attempt's time then includes its take from the ready queue.</summary>
    public long LastEnded;

    /// <summary>Takes the reusable control source, if there is one.</summary>
    public CancellationTokenSource? TakeControl()
    {
        CancellationTokenSource? control = Control;
        Control = null;
        return control;
    }
}
