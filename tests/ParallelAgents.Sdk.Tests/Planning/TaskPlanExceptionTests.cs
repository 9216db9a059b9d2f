namespace ParallelAgents.Sdk.Tests.Planning;

/// <summary>How plan problems are carried and formatted.</summary>
public class TaskPlanExceptionTests
{
    [Fact]
    public void Constructor_Problems_ListsEachOnItsOwnLine()
    {
        var exception = new TaskPlanException(
        [
            new TaskPlanProblem(new SourceLocation("tasks.yaml", 3, 7), "a", "first."),
            new TaskPlanProblem(null, "b", "second."),
            new TaskPlanProblem(null, null, "third."),
        ]);

        Assert.Equal(3, exception.Problems.Count);
        Assert.Equal(
            string.Join(Environment.NewLine, "The task plan has 3 problems:", "  tasks.yaml(3,7): first.", "  task 'b': second.", "  third."),
            exception.Message);
    }

    [Fact]
    public void Constructor_OneProblem_SaysProblemInTheSingular()
    {
        var exception = new TaskPlanException([new TaskPlanProblem(null, null, "only.")]);

        Assert.StartsWith("The task plan has 1 problem:", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_Message_BecomesTheOnlyProblem()
    {
        var exception = new TaskPlanException("bad plan.");

        TaskPlanProblem problem = Assert.Single(exception.Problems);
        Assert.Equal("bad plan.", problem.Message);
        Assert.Null(problem.Location);
        Assert.Contains("bad plan.", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_MessageAndInner_KeepsBoth()
    {
        var inner = new IOException("disk");

        var exception = new TaskPlanException("bad plan.", inner);

        Assert.Same(inner, exception.InnerException);
        Assert.Equal("bad plan.", exception.Message);
        Assert.Equal("bad plan.", Assert.Single(exception.Problems).Message);
    }

    [Fact]
    public void Constructor_Default_HasOneGenericProblem()
    {
        var exception = new TaskPlanException();

        Assert.Equal("The task plan is invalid.", Assert.Single(exception.Problems).Message);
    }

    [Fact]
    public void Constructor_NullProblems_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => new TaskPlanException((IReadOnlyList<TaskPlanProblem>)null!));
    }

    [Fact]
    public void SourceLocation_ToString_UsesCompilerFormat()
    {
        Assert.Equal("config/tasks.yaml(12,5)", new SourceLocation("config/tasks.yaml", 12, 5).ToString());
        Assert.Equal("<yaml>(1,1)", new SourceLocation(null, 1, 1).ToString());
    }
}
