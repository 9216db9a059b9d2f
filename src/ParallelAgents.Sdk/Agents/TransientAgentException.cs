namespace ParallelAgents.Sdk;

/// <summary>
/// Thrown by an agent to say that its attempt failed for a reason that may pass (a rate limit, a flaky service):
/// the engine retries the task, with backoff, up to its <c>max_attempts</c>.
/// </summary>
public sealed class TransientAgentException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TransientAgentException()
        : base("The agent's attempt failed for a transient reason.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public TransientAgentException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public TransientAgentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
