namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>An <see cref="AgentContext.Progress"/> that keeps every report, in order, as it is made (unlike
/// <see cref="Progress{T}"/>, which posts reports to a synchronization context later).</summary>
internal sealed class ProgressLog : IProgress<AgentProgress>
{
    private readonly List<AgentProgress> _reports = [];

    public IReadOnlyList<AgentProgress> Reports
    {
        get
        {
            lock (_reports)
            {
                return [.. _reports];
            }
        }
    }

    public IEnumerable<AgentProgress> Of(AgentProgressKind kind) => Reports.Where(r => r.Kind == kind);

    public void Report(AgentProgress value)
    {
        lock (_reports)
        {
            _reports.Add(value);
        }
    }
}
