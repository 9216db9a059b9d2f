using ParallelAgents.Sdk.Docker.Tests.TestSupport;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Docker.Tests.Isolation;

/// <summary>Images made through the API without a registry: the sample's Dockerfile.ai-agent built on the test base.</summary>
public sealed class ContainerImagesTests : IDisposable
{
    private readonly GitRepository _repo = new(("README.md", "# demo\n"));
    private readonly List<string> _images = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        foreach (string image in _images)
        {
            try
            {
                DockerTestEngine.Docker("rmi", "-f", image);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        _repo.Dispose();
    }

    [Fact]
    public async Task BuildImageAsync_SampleAgentDockerfile_BuildsAnImageTheProviderRuns()
    {
        await DockerTestEngine.RequireAsync();
        string tag = NewTag("agent");

        string id = await ContainerImages.BuildImageAsync(
            SampleFolder(),
            tag,
            new Dictionary<string, string> { ["BASE_IMAGE"] = DockerTestEngine.Image },
            dockerfile: "Dockerfile.ai-agent",
            endpoint: DockerTestEngine.Endpoint,
            cancellationToken: Ct);

        Assert.StartsWith("sha256:", id, StringComparison.Ordinal);
        Assert.True(await ContainerImages.ExistsAsync(tag, DockerTestEngine.Endpoint, Ct));
        await using var provider = new ContainerIsolationProvider(new ContainerIsolationOptions
        {
            Image = tag,
            Endpoint = DockerTestEngine.Endpoint,
            Worktree = new WorktreeIsolationOptions { RepositoryPath = _repo.Path },
        });
        await provider.StartRunAsync("images", Ct);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(
            new WorkspaceRequest { RunId = "images", Task = new AgentTask { Id = "agent-image", Instructions = "x" } }, Ct);
        CommandResult result = await workspace.ExecuteAsync(new CommandRequest { Command = "agent-env; echo NODE_ENV=$NODE_ENV" }, Ct);

        Assert.True(result.Succeeded, result.Output);
        Assert.Contains($"user: {provider.User}\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("workspace: /workspace\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("NODE_ENV=development\n", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildImageAsync_FailingStep_ThrowsWithTheEnginesError()
    {
        await DockerTestEngine.RequireAsync();
        using var folder = new TempFolder();
        File.WriteAllText(folder.Combine("Dockerfile"), $"FROM {DockerTestEngine.Image}\nRUN echo about to fail && exit 3\n");
        string tag = NewTag("broken");

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => ContainerImages.BuildImageAsync(folder.Path, tag, endpoint: DockerTestEngine.Endpoint, cancellationToken: Ct));

        Assert.Contains($"Building the image '{tag}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("returned a non-zero code: 3", error.Message, StringComparison.Ordinal);
        Assert.False(await ContainerImages.ExistsAsync(tag, DockerTestEngine.Endpoint, Ct));
    }

    [Fact]
    public async Task BuildImageAsync_NoDockerfile_SaysWhichFolder()
    {
        using var folder = new TempFolder();

        FileNotFoundException error = await Assert.ThrowsAsync<FileNotFoundException>(
            () => ContainerImages.BuildImageAsync(folder.Path, "x:1", cancellationToken: Ct));

        Assert.Contains(folder.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("has no 'Dockerfile'", error.Message, StringComparison.Ordinal);
    }

    private string NewTag(string name)
    {
        string tag = $"parallelagents-test/{name}:{Guid.NewGuid():N}"[..^20];
        _images.Add(tag);
        return tag;
    }

    private static string SampleFolder()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "samples", "docker");
            if (File.Exists(Path.Combine(candidate, "Dockerfile.ai-agent")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("samples/docker/Dockerfile.ai-agent was not found above " + AppContext.BaseDirectory);
    }
}
