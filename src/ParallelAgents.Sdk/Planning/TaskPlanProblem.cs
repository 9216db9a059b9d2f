namespace ParallelAgents.Sdk;

/// <summary>One thing wrong with a task plan: where it is, what is wrong and what to do about it.</summary>
/// <param name="Location">Where in the task file the problem is, or <see langword="null"/> for a plan built in code.</param>
/// <param name="TaskId">The task the problem belongs to, or <see langword="null"/> for a problem of the whole plan.</param>
/// <param name="Message">What is wrong and what to do, in one sentence or two.</param>
public sealed record TaskPlanProblem(SourceLocation? Location, string? TaskId, string Message)
{
    /// <summary>Formats the problem as <c>path(line,column): message</c>, or <c>task 'id': message</c> without a location.</summary>
    /// <returns>The formatted problem.</returns>
    public override string ToString() => Location is not null
        ? $"{Location}: {Message}"
        : TaskId is not null ? $"task '{TaskId}': {Message}" : Message;
}
