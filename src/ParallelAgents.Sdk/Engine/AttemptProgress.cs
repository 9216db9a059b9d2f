namespace ParallelAgents.Sdk;

/// <summary>An attempt's <see cref="AgentContext.Progress"/>: hands each report to the run's observers with the attempt it came from.</summary>
internal sealed class AttemptProgress(RunObserver observer, AgentTask task, int attempt, int lane) : IProgress<AgentProgress>
{
    public void Report(AgentProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        observer.Progress(task, attempt, lane, value);
    }
}
