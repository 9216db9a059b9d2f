using System.Text;

namespace ParallelAgents.Sdk.Tests.Planning;

/// <summary>Loading plans from files: the path reaches the plan and every problem.</summary>
public sealed class TaskPlanLoadTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ParallelAgents.Sdk.Tests", Guid.NewGuid().ToString("N"));

    public TaskPlanLoadTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text, Encoding? encoding = null)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, text, encoding ?? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    [Fact]
    public void Load_ValidFile_ReadsThePlan()
    {
        string path = Write("tasks.yaml", "tasks:\n  - id: a\n    instructions: x\n  - id: b\n    instructions: y\n    dependencies: [a]\n");

        TaskPlan plan = TaskPlan.Load(path);

        Assert.Equal(path, plan.SourcePath);
        Assert.Equal(["a", "b"], plan.Tasks.Select(t => t.Id));
        Assert.Equal(new SourceLocation(path, 4, 5), plan["b"].Location);
    }

    [Fact]
    public async Task LoadAsync_ValidFile_ReadsThePlan()
    {
        string path = Write("tasks.yaml", "tasks:\n  - id: a\n    instructions: x\n");

        TaskPlan plan = await TaskPlan.LoadAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(path, plan.SourcePath);
        Assert.Equal("a", Assert.Single(plan.Tasks).Id);
    }

    [Fact]
    public void Load_FileWithByteOrderMark_ReadsThePlan()
    {
        string path = Write("bom.yaml", "tasks:\n  - id: a\n    instructions: x\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        Assert.Equal("a", Assert.Single(TaskPlan.Load(path).Tasks).Id);
    }

    [Fact]
    public void Load_NonAsciiText_IsReadAsUtf8()
    {
        string path = Write("utf8.yaml", "tasks:\n  - id: a\n    instructions: Übersetze die Oberfläche — 日本語も\n");

        Assert.Equal("Übersetze die Oberfläche — 日本語も", TaskPlan.Load(path)["a"].Instructions);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFoundNamingThePath()
    {
        string path = Path.Combine(_directory, "nope", "tasks.yaml");

        FileNotFoundException exception = Assert.Throws<FileNotFoundException>(() => TaskPlan.Load(path));

        Assert.Equal(path, exception.FileName);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("'tasks:' list", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_MissingFile_ThrowsFileNotFoundNamingThePath()
    {
        string path = Path.Combine(_directory, "missing.yaml");

        FileNotFoundException exception = await Assert.ThrowsAsync<FileNotFoundException>(
            () => TaskPlan.LoadAsync(path, TestContext.Current.CancellationToken));

        Assert.Equal(path, exception.FileName);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RelativeMissingPath_NamesTheFullPathToo()
    {
        const string path = "no-such-dir-7f3a/tasks.yaml";

        FileNotFoundException exception = Assert.Throws<FileNotFoundException>(() => TaskPlan.Load(path));

        Assert.Contains(Path.GetFullPath(path), exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void Load_NoPath_ThrowsArgumentException(string? path)
    {
        Assert.ThrowsAny<ArgumentException>(() => TaskPlan.Load(path!));
    }

    [Fact]
    public async Task LoadAsync_NoPath_ThrowsArgumentException()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => TaskPlan.LoadAsync("", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task LoadAsync_CancelledToken_ThrowsOperationCanceled()
    {
        string path = Write("tasks.yaml", "tasks:\n  - id: a\n    instructions: x\n");
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TaskPlan.LoadAsync(path, cancellation.Token));
    }

    [Fact]
    public void Load_InvalidFile_PutsThePathInEveryProblem()
    {
        string path = Write("bad.yaml", """
            version: 1
            tasks:
              - id: a
                instructions: x
                dependencies: [a, ghost]
                priority: soon
              - instructions: y
              - id: b
                instructions: z
                dependencies: [c]
              - id: c
                instructions: z
                dependencies: [b]
            """);

        TaskPlanException exception = Assert.Throws<TaskPlanException>(() => TaskPlan.Load(path));

        Assert.Collection(
            exception.Problems,
            p => PlanAssert.Problem(p, 1, 1, null, "unknown field 'version'"),
            p => PlanAssert.Problem(p, 5, 20, "a", "depends on itself"),
            p => PlanAssert.Problem(p, 5, 23, "a", "depends on 'ghost'"),
            p => PlanAssert.Problem(p, 6, 15, "a", "invalid priority 'soon'"),
            p => PlanAssert.Problem(p, 7, 5, null, "a task has no 'id'"),
            p => PlanAssert.Problem(p, 10, 20, "b", "dependency cycle: b -> c -> b"));
        Assert.All(exception.Problems, p => Assert.Equal(path, p.Location?.Path));
        Assert.Contains($"{path}(6,15): invalid priority 'soon'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_InvalidFile_PutsThePathInEveryProblem()
    {
        string path = Write("bad.yaml", "tasks:\n  - id: a\n    instuctions: x\n");

        TaskPlanException exception = await Assert.ThrowsAsync<TaskPlanException>(
            () => TaskPlan.LoadAsync(path, TestContext.Current.CancellationToken));

        Assert.Collection(
            exception.Problems,
            p => PlanAssert.Problem(p, 2, 5, "a", "task 'a' has no 'instructions'"),
            p => PlanAssert.Problem(p, 3, 5, "a", "did you mean 'instructions'?"));
        Assert.All(exception.Problems, p => Assert.Equal(path, p.Location?.Path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("tasks: []\n")]
    [InlineData("tasks: [\n")]
    public void Load_EmptyOrBrokenFile_PutsThePathInTheProblem(string text)
    {
        string path = Write("empty.yaml", text);

        TaskPlanException exception = Assert.Throws<TaskPlanException>(() => TaskPlan.Load(path));

        Assert.Equal(path, Assert.Single(exception.Problems).Location?.Path);
    }
}
