namespace ParallelAgents.Sdk;

/// <summary>An <see cref="IAgent"/> that runs a delegate: the quickest way to let the engine run anything.</summary>
public sealed class DelegateAgent : IAgent
{
    private readonly Func<AgentContext, CancellationToken, ValueTask<AgentOutcome>> _run;

    /// <summary>Creates an agent that runs <paramref name="run"/> for each attempt.</summary>
    /// <param name="run">Does one attempt of a task.</param>
    public DelegateAgent(Func<AgentContext, CancellationToken, ValueTask<AgentOutcome>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        _run = run;
    }

    /// <inheritdoc/>
    public ValueTask<AgentOutcome> RunAsync(AgentContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return _run(context, cancellationToken);
    }
}
