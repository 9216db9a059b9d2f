namespace ParallelAgents.Sdk.Tests.Planning;

/// <summary>Assertions for rejected task plans: each problem is checked for its exact line, column and wording.</summary>
internal static class PlanAssert
{
    /// <summary>Parses <paramref name="yaml"/> and returns the exception it must throw.</summary>
    public static TaskPlanException ParseFails(string yaml, string? sourcePath = null) =>
        Assert.Throws<TaskPlanException>(() => TaskPlan.Parse(yaml, sourcePath));

    /// <summary>Parses <paramref name="yaml"/>, which must have exactly one problem, and returns it.</summary>
    public static TaskPlanProblem SingleProblem(string yaml, string? sourcePath = null)
    {
        TaskPlanException exception = ParseFails(yaml, sourcePath);
        return Assert.Single(exception.Problems);
    }

    /// <summary>Checks a problem's position, task and message; every fragment must appear in the message.</summary>
    public static void Problem(TaskPlanProblem problem, int line, int column, string? taskId, params string[] fragments)
    {
        Assert.NotNull(problem.Location);
        Assert.Equal((line, column), (problem.Location.Line, problem.Location.Column));
        Assert.Equal(taskId, problem.TaskId);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, problem.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Checks a problem of a plan built in code: it has no location, so it must name its task.</summary>
    public static void CodeProblem(TaskPlanProblem problem, string? taskId, params string[] fragments)
    {
        Assert.Null(problem.Location);
        Assert.Equal(taskId, problem.TaskId);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, problem.Message, StringComparison.Ordinal);
        }
    }
}
