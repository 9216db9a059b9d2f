using System.Text;

namespace ParallelAgents.Sdk;

/// <summary>
/// Thrown when a task plan is invalid. It lists every problem found, not only the first, each with its
/// file, line and column when the plan came from a file.
/// </summary>
public sealed class TaskPlanException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    /// <param name="problems">Every problem found; at least one.</param>
    public TaskPlanException(IReadOnlyList<TaskPlanProblem> problems)
        : base(FormatMessage(problems))
    {
        ArgumentNullException.ThrowIfNull(problems);
        Problems = problems;
    }

    /// <summary>Creates the exception with a message and no itemised problems.</summary>
    public TaskPlanException()
        : this([new TaskPlanProblem(null, null, "The task plan is invalid.")])
    {
    }

    /// <summary>Creates the exception with one problem described by <paramref name="message"/>.</summary>
    /// <param name="message">What is wrong.</param>
    public TaskPlanException(string message)
        : this([new TaskPlanProblem(null, null, message)])
    {
    }

    /// <summary>Creates the exception with one problem described by <paramref name="message"/> and its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public TaskPlanException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [new TaskPlanProblem(null, null, message)];
    }

    /// <summary>Every problem found in the plan, in the order of the file.</summary>
    public IReadOnlyList<TaskPlanProblem> Problems { get; }

    private static string FormatMessage(IReadOnlyList<TaskPlanProblem> problems)
    {
        if (problems is null || problems.Count == 0)
        {
            return "The task plan is invalid.";
        }

        var builder = new StringBuilder();
        builder.Append("The task plan has ")
            .Append(problems.Count)
            .Append(problems.Count == 1 ? " problem:" : " problems:");
        foreach (TaskPlanProblem problem in problems)
        {
            builder.AppendLine().Append("  ").Append(problem);
        }

        return builder.ToString();
    }
}
