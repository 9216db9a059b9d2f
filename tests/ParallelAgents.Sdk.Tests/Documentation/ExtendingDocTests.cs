using System.Text.RegularExpressions;
using MyAgents;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Documentation;

/// <summary>docs/extending.md's agent, isolation provider and conflict resolver are the Extending sample's files, which
/// the build compiles, and they do what the page says.</summary>
public sealed partial class ExtendingDocTests : IDisposable
{
    private static readonly string RepositoryRoot = SourceTree.Root;
    private readonly string _root = Directory.CreateTempSubdirectory("extending-doc-").FullName;

    [Theory]
    [InlineData("CommandLineAgent.cs")]
    [InlineData("DirectoryCopyIsolationProvider.cs")]
    [InlineData("OptInRerunResolver.cs")]
    public void ExtendingPage_SampleFile_AppearsWordForWord(string file)
    {
        string page = Normalize(File.ReadAllText(Path.Combine(RepositoryRoot, "docs", "extending.md")));
        string code = Normalize(File.ReadAllText(Path.Combine(RepositoryRoot, "samples", "Extending", file)));
        string[] blocks = [.. CSharpBlock().Matches(page).Select(m => Normalize(m.Groups[1].Value))];

        Assert.Contains(code, blocks);
    }

    [Fact]
    public async Task CommandLineAgent_OnDirectoryCopies_RunsTheToolAndTheChecksInDependencyOrder()
    {
        string source = Directory.CreateDirectory(Path.Combine(_root, "source")).FullName;
        await File.WriteAllTextAsync(Path.Combine(source, "README.md"), "# project\n", TestContext.Current.CancellationToken);
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: schema
                isolation: copy
                instructions: Design the schema.
                checks: [test -s PROMPT.md]
              - id: api
                isolation: copy
                dependencies: [schema]
                instructions: Write the API.
                checks: [grep -q "Already done by task schema" PROMPT.md]
            """);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(new CommandLineAgent(prompt => $"printf '%s\\n' '{prompt.Replace("'", "'\\''", StringComparison.Ordinal)}' > PROMPT.md"))
            .UseIsolation(new DirectoryCopyIsolationProvider("copy", source, Path.Combine(_root, "work")))
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        string api = Path.Combine(_root, "work", result.RunId, "api.lane0.attempt1");
        Assert.Contains("Write the API.", await File.ReadAllTextAsync(Path.Combine(api, "PROMPT.md"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(api, "README.md")), "the workspace is a copy of the source");
    }

    [Fact]
    public async Task CommandLineAgent_CheckFails_IsTransientAndTheNextAttemptSeesWhy()
    {
        string source = Directory.CreateDirectory(Path.Combine(_root, "source")).FullName;
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: api
                isolation: copy
                max_attempts: 2
                instructions: Write the API.
                checks: [grep -q "previous attempt failed" PROMPT.md]
            """);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseAgent(new CommandLineAgent(prompt => $"printf '%s\\n' '{prompt.Replace("'", "'\\''", StringComparison.Ordinal)}' > PROMPT.md"))
            .UseIsolation(new DirectoryCopyIsolationProvider("copy", source, Path.Combine(_root, "work")))
            .WithRetry(r => r.BaseDelay = TimeSpan.Zero)
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        TaskResult api = Assert.Single(result.Tasks);
        Assert.Equal(TaskState.Succeeded, api.State);
        Assert.Equal(2, api.Attempts.Count);
        Assert.True(api.Attempts[0].IsTransient);
        Assert.Contains("check 'grep -q", api.Attempts[0].Error, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
