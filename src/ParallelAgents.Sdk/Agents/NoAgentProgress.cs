namespace ParallelAgents.Sdk;

/// <summary>The <see cref="AgentContext.Progress"/> of a context made outside an engine: it reports nowhere.</summary>
internal sealed class NoAgentProgress : IProgress<AgentProgress>
{
    public static readonly NoAgentProgress Instance = new();

    public void Report(AgentProgress value)
    {
    }
}
