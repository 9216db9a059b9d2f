using System.Diagnostics;
using ParallelAgents.Sdk.Docker.Tests.TestSupport;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Docker.Tests.Isolation;

/// <summary>The sweeper against a real run killed with SIGKILL: its containers and network are removed, a live run's
/// are not. It runs alone (<see cref="EngineWideTests"/>): a parallel test's run would sweep part of the killed run's
/// leftovers first, as it did in two runs of .ci/run (2 of 3 swept; the network went to another test's sweep).</summary>
[Collection(EngineWideTests.Name)]
public sealed class ContainerSweepTests : IDisposable
{
    private readonly GitRepository _repo = new(("README.md", "# demo\n"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task SweepAsync_AfterAProcessHoldingContainersWasKilledWithSigkill_RemovesThemAndLeavesLiveOnes()
    {
        await DockerTestEngine.RequireAsync();
        string killedRun = DockerTestEngine.NewRunId();
        string liveRun = DockerTestEngine.NewRunId();
        await using ContainerIsolationProvider provider = new(new ContainerIsolationOptions
        {
            Image = DockerTestEngine.Image,
            Endpoint = DockerTestEngine.Endpoint,
            Worktree = new WorktreeIsolationOptions { RepositoryPath = _repo.Path },
        });
        await using IAgentWorkspace live = await provider.CreateWorkspaceAsync(
            new WorkspaceRequest { RunId = liveRun, Task = new AgentTask { Id = "alive", Instructions = "stay" } }, Ct);

        int childPid = await RunChildUntilKilledAsync(killedRun, workspaces: 2);

        IReadOnlyList<string> held = DockerTestEngine.ContainersLabelled("parallelagents.run-id=" + killedRun);
        Assert.Equal(2, held.Count);
        Assert.Single(DockerTestEngine.NetworksLabelled("parallelagents.run-id=" + killedRun));
        Assert.All(held, id => Assert.Equal(
            childPid.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n",
            DockerTestEngine.Docker("inspect", "--format", "{{index .Config.Labels \"parallelagents.owner-pid\"}}", id)));

        IReadOnlyList<SweptContainer> swept = await provider.SweepAsync(Ct);

        // Said in full when it fails.
        Assert.True(swept.Count(s => s.RunId == killedRun) == 3, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"swept [{string.Join(", ", swept.Select(s => $"{(s.IsNetwork ? "network" : "container")} {s.Name} of {s.RunId}"))}]; " +
            $"left: containers [{string.Join(", ", DockerTestEngine.ContainersLabelled("parallelagents.run-id=" + killedRun))}], " +
            $"networks [{string.Join(", ", DockerTestEngine.NetworksLabelled("parallelagents.run-id=" + killedRun))}]"));
        Assert.Equal(["killed-0", "killed-1"], swept.Where(s => s.RunId == killedRun && !s.IsNetwork).Select(s => s.TaskId).Order(StringComparer.Ordinal));
        Assert.All(swept, s => Assert.Contains("has ended", s.Reason, StringComparison.Ordinal));
        Assert.DoesNotContain(swept, s => s.RunId == liveRun);
        Assert.Empty(DockerTestEngine.ContainersLabelled("parallelagents.run-id=" + killedRun));
        Assert.Empty(DockerTestEngine.NetworksLabelled("parallelagents.run-id=" + killedRun));
        Assert.Single(DockerTestEngine.ContainersLabelled("parallelagents.run-id=" + liveRun));
        Assert.True((await live.ExecuteAsync(new CommandRequest { Command = "true" }, Ct)).Succeeded);

        // The worktrees the killed run held go with the worktree sweeper; their branches and commits stay.
        IReadOnlyList<SweptWorktree> worktrees = await provider.Worktrees.SweepAsync(Ct);
        Assert.Equal(2, worktrees.Count(w => w.RunId == killedRun));
        Assert.Equal("work of killed-1\n", _repo.Git("show", "agent/killed-1:work.txt"));
        Assert.DoesNotContain(await provider.SweepAsync(Ct), s => s.RunId == killedRun);
    }

    /// <summary>Starts the child that makes <paramref name="workspaces"/> containers (on an internal network of the
    /// run's), waits until it says they are ready, and kills it with SIGKILL.</summary>
    private async Task<int> RunChildUntilKilledAsync(string runId, int workspaces)
    {
        string child = Path.Combine(AppContext.BaseDirectory, "ParallelAgents.Sdk.Docker.Tests.ContainerChild.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { child, _repo.Path, DockerTestEngine.Image, runId, workspaces.ToString(System.Globalization.CultureInfo.InvariantCulture), "internal" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOCKER_HOST"] = DockerTestEngine.Endpoint;
        using Process process = Process.Start(start)!;
        try
        {
            Task<string> errors = process.StandardError.ReadToEndAsync(Ct);
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync(Ct)) is not null && !line.StartsWith("ready", StringComparison.Ordinal))
            {
            }

            if (line is null)
            {
                Assert.Fail("the child process ended before it was ready: " + await errors);
            }

            return process.Id;
        }
        finally
        {
            process.Kill();   // SIGKILL on Unix: the process gets no chance to clean up.
            await process.WaitForExitAsync(Ct);
        }
    }
}
