namespace ParallelAgents.Sdk;

/// <summary>A path given to a workspace leads outside it, or into its <c>.git</c> folder.</summary>
public sealed class WorkspacePathException : Exception
{
    /// <summary>Makes the exception.</summary>
    public WorkspacePathException()
    {
    }

    /// <summary>Makes the exception with a message.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    public WorkspacePathException(string message)
        : base(message)
    {
    }

    /// <summary>Makes the exception with a message and its cause.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public WorkspacePathException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Makes the exception for a path.</summary>
    /// <param name="path">The path as given.</param>
    /// <param name="message">What is wrong and what to do.</param>
    public WorkspacePathException(string path, string message)
        : base(message) => Path = path;

    /// <summary>The path as it was given, when known.</summary>
    public string? Path { get; }
}
