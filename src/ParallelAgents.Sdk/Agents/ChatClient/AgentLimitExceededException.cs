namespace ParallelAgents.Sdk;

/// <summary>Stops the function-invocation loop from inside the chat pipeline when a turn or token budget is spent.</summary>
internal sealed class AgentLimitExceededException : Exception
{
    public AgentLimitExceededException()
    {
    }

    public AgentLimitExceededException(string message)
        : base(message)
    {
    }

    public AgentLimitExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
