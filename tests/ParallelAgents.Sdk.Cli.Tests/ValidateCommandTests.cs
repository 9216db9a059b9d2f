using System.Text.Json;
using ParallelAgents.Sdk.Cli.Tests.TestSupport;

namespace ParallelAgents.Sdk.Cli.Tests;

public sealed class ValidateCommandTests
{
    private const string Broken =
        """
        tasks:
          - id: api
            instructions: build it
            priority: urgent
            dependencies: [schema]
          - id: api
            instructions: again
            colour: blue
        """;

    [Fact]
    public async Task Validate_ValidFile_ExitsZeroAndListsTasksInRunOrder()
    {
        using var repo = new GitRepository();
        repo.Write("tasks.yaml",
            """
            tasks:
              - id: tests
                instructions: t
                dependencies: [api]
              - id: api
                instructions: a
                priority: high
            """);

        ToolResult result = await Tool.RunAsync(repo.Root, "validate", "tasks.yaml");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("tasks.yaml: valid, 2 task(s)", result.Output);
        Assert.True(result.Output.IndexOf("  api (high priority", StringComparison.Ordinal) < result.Output.IndexOf("  tests (medium priority", StringComparison.Ordinal), result.Output);
    }

    [Fact]
    public async Task Validate_FileWithProblems_ExitsTwoWithEachProblemAtFileLineColumn()
    {
        using var repo = new GitRepository();
        repo.Write("tasks.yaml", Broken);

        ToolResult result = await Tool.RunAsync(repo.Root, "validate", "tasks.yaml");

        Assert.True(result.ExitCode == 2, result.ToString());
        string[] lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("tasks.yaml:4:", StringComparison.Ordinal) && l.Contains("urgent", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("tasks.yaml:5:", StringComparison.Ordinal) && l.Contains("schema", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("tasks.yaml:6:", StringComparison.Ordinal) && l.Contains("api", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("tasks.yaml:8:", StringComparison.Ordinal) && l.Contains("colour", StringComparison.Ordinal));
        Assert.Matches(@"tasks\.yaml: \d+ problem\(s\)", result.Output);
    }

    [Fact]
    public async Task Validate_JsonWithProblems_ListsThemWithLineAndColumn()
    {
        using var repo = new GitRepository();
        repo.Write("tasks.yaml", Broken);

        ToolResult result = await Tool.RunAsync(repo.Root, "validate", "tasks.yaml", "--json");

        Assert.True(result.ExitCode == 2, result.ToString());
        using JsonDocument json = JsonDocument.Parse(result.Output);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        JsonElement[] problems = [.. json.RootElement.GetProperty("problems").EnumerateArray()];
        Assert.True(problems.Length >= 4, result.Output);
        Assert.All(problems, p => Assert.True(p.GetProperty("line").GetInt32() > 0));
        Assert.Contains(problems, p => p.GetProperty("line").GetInt32() == 8 && p.GetProperty("message").GetString()!.Contains("colour", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_MissingFile_ExitsTwoAndNamesIt()
    {
        using var repo = new GitRepository();

        ToolResult result = await Tool.RunAsync(repo.Root, "validate", "nowhere.yaml");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("nowhere.yaml", result.Error);
    }
}
