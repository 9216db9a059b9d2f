namespace ParallelAgents.Sdk;

/// <summary>
/// Thrown by <see cref="ParallelAgentsBuilder.Build"/> and by options checks when the engine's configuration is
/// invalid; it lists every problem at once.
/// </summary>
public sealed class ParallelAgentsConfigurationException : InvalidOperationException
{
    /// <summary>Creates the exception from the problems found.</summary>
    /// <param name="problems">Every problem found; at least one.</param>
    public ParallelAgentsConfigurationException(IReadOnlyList<string> problems)
        : base(Format(problems))
    {
        Problems = problems ?? [];
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ParallelAgentsConfigurationException()
        : this(["The engine's configuration is invalid."])
    {
    }

    /// <summary>Creates the exception with one problem.</summary>
    /// <param name="message">What is wrong.</param>
    public ParallelAgentsConfigurationException(string message)
        : this([message])
    {
    }

    /// <summary>Creates the exception with one problem and its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ParallelAgentsConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Format(IReadOnlyList<string> problems) =>
        problems is null || problems.Count == 0
            ? "The engine's configuration is invalid."
            : problems.Count == 1
                ? $"The engine's configuration is invalid: {problems[0]}"
                : $"The engine's configuration has {problems.Count} problems:{string.Concat(problems.Select(p => $"{Environment.NewLine}  {p}"))}";
}
