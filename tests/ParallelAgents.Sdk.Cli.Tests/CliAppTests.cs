using ParallelAgents.Sdk.Cli.Tests.TestSupport;

namespace ParallelAgents.Sdk.Cli.Tests;

public sealed class CliAppTests
{
    [Fact]
    public async Task Main_UnknownCommand_ExitsTwoAndPointsToHelp()
    {
        ToolResult result = await Tool.RunAsync(Path.GetTempPath(), "launch");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("launch", result.Error);
        Assert.Contains("parallel-agents --help", result.Error);
    }

    [Fact]
    public async Task Main_BadOptionValue_ExitsTwo()
    {
        ToolResult result = await Tool.RunAsync(Path.GetTempPath(), "run", "tasks.yaml", "--agent", "robot");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("robot", result.Error);
    }

    [Fact]
    public async Task Main_Help_ListsTheCommandsAndExitCodes()
    {
        ToolResult result = await Tool.RunAsync(Path.GetTempPath(), "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (string command in new[] { "run", "validate", "status", "resume", "memory", "clean" })
        {
            Assert.Matches($@"\n\s+{command}\s", result.Output);
        }

        Assert.Contains("130 cancelled", result.Output);
    }
}
