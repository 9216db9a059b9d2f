using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Isolation;

/// <summary>The public face of the command runner that custom workspaces use.</summary>
public class HostCommandRunnerTests
{
    [Fact]
    public async Task RunAsync_DefaultEnvironment_RunsInTheRootAndRemovesSecrets()
    {
        using var folder = new TempFolder();
        using var secret = new EnvironmentVariable("PA_HOST_RUNNER_API_KEY", "sk-should-not-leak");

        CommandResult result = await HostCommandRunner.RunAsync(
            new CommandRequest { Command = "pwd; env" }, folder.Path, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.Output);
        Assert.StartsWith(Path.GetFullPath(folder.Path), result.Output.Split('\n')[0], StringComparison.Ordinal);
        Assert.DoesNotContain("sk-should-not-leak", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WorkingDirectoryOutside_IsRefused()
    {
        using var folder = new TempFolder();

        await Assert.ThrowsAsync<WorkspacePathException>(() => HostCommandRunner.RunAsync(
            new CommandRequest { Command = "true", WorkingDirectory = "../.." }, folder.Path, cancellationToken: TestContext.Current.CancellationToken));
    }
}
