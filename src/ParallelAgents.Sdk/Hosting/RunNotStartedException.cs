namespace ParallelAgents.Sdk;

/// <summary>
/// The <see cref="QueuedRun.Completion"/> of a plan that waited in the <see cref="IAgentRunQueue"/> and was never
/// started: the host stopped first, or the submission was cancelled. No agent ran and nothing changed in the
/// repository; submit the plan again to run it.
/// </summary>
public sealed class RunNotStartedException : OperationCanceledException
{
    /// <summary>Creates the exception for the run <paramref name="runId"/>.</summary>
    /// <param name="runId">The id the run was given when it was submitted.</param>
    /// <param name="message">Why the run did not start.</param>
    /// <param name="cancellationToken">The token whose cancellation stopped it.</param>
    public RunNotStartedException(string runId, string message, CancellationToken cancellationToken)
        : base(message, cancellationToken)
    {
        RunId = runId;
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public RunNotStartedException()
        : this("", "The run was not started.", CancellationToken.None)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Why the run did not start.</param>
    public RunNotStartedException(string message)
        : this("", message, CancellationToken.None)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">Why the run did not start.</param>
    /// <param name="innerException">The cause.</param>
    public RunNotStartedException(string message, Exception innerException)
        : base(message, innerException)
    {
        RunId = "";
    }

    /// <summary>The id the run was given when it was submitted.</summary>
    public string RunId { get; }
}
