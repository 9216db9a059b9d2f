using System.Formats.Tar;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ParallelAgents.Sdk.Docker;

/// <summary>Makes images on a Docker engine without a registry: built from a folder with a Dockerfile, or imported
/// from a root filesystem archive (as <c>docker import</c> does).</summary>
public static class ContainerImages
{
    /// <summary>Builds an image from a folder holding a Dockerfile, sending the folder as the build context, as
    /// <c>docker build -t &lt;tag&gt; &lt;folder&gt;</c> does; nothing is pulled unless the Dockerfile's <c>FROM</c>
    /// names an image the engine does not have.</summary>
    /// <param name="contextDirectory">The folder sent as the build context.</param>
    /// <param name="tag">The image's name and tag, such as <c>parallel-agents/agent:latest</c>.</param>
    /// <param name="buildArguments">Values for the Dockerfile's <c>ARG</c>s (<c>--build-arg</c>); the default is none.</param>
    /// <param name="dockerfile">The Dockerfile's path inside the folder; the default is <c>Dockerfile</c>.</param>
    /// <param name="endpoint">The engine; the default is <c>DOCKER_HOST</c>, else <c>unix:///var/run/docker.sock</c>.</param>
    /// <param name="cancellationToken">Cancels the build.</param>
    /// <returns>The new image's id (<c>sha256:...</c>).</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has no such Dockerfile.</exception>
    /// <exception cref="DockerUnavailableException">No engine answered.</exception>
    /// <exception cref="InvalidOperationException">The build failed; the message has the engine's error.</exception>
    public static async Task<string> BuildImageAsync(
        string contextDirectory,
        string tag,
        IReadOnlyDictionary<string, string>? buildArguments = null,
        string dockerfile = "Dockerfile",
        string? endpoint = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contextDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        ArgumentException.ThrowIfNullOrWhiteSpace(dockerfile);
        string folder = Path.GetFullPath(contextDirectory);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The build context folder '{folder}' does not exist; give the folder that holds the Dockerfile.");
        }

        if (!File.Exists(Path.Combine(folder, dockerfile)))
        {
            throw new FileNotFoundException($"The build context folder '{folder}' has no '{dockerfile}'; add one or name the Dockerfile to use.", Path.Combine(folder, dockerfile));
        }

        using var docker = new DockerEndpoint(Endpoint(endpoint));
        await docker.EnsureAvailableAsync(cancellationToken).ConfigureAwait(false);
        using var context = new MemoryStream();
        await TarFile.CreateFromDirectoryAsync(folder, context, includeBaseDirectory: false, cancellationToken).ConfigureAwait(false);
        context.Position = 0;
        var progress = new BuildProgress();
        await docker.Client.Images.BuildImageFromDockerfileAsync(
            new ImageBuildParameters
            {
                Tags = [tag],
                Dockerfile = dockerfile,
                Remove = true,
                ForceRemove = true,
                BuildArgs = buildArguments?.ToDictionary(a => a.Key, a => a.Value),
            },
            context,
            authConfigs: null,
            headers: null,
            progress,
            cancellationToken).ConfigureAwait(false);
        if (progress.Error is { } error)
        {
            throw new InvalidOperationException($"Building the image '{tag}' from {folder} failed: {error}\n{progress.Tail()}");
        }

        return await IdOfAsync(docker, tag, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Building the image '{tag}' from {folder} ended without an image:\n{progress.Tail()}");
    }

    /// <summary>Imports a root filesystem archive (a <c>.tar</c> of a folder such as one holding BusyBox) as an image,
    /// as <c>docker import &lt;archive&gt; &lt;tag&gt;</c> does: a base image made without any registry.</summary>
    /// <param name="rootFilesystemArchive">The path of the <c>.tar</c> archive.</param>
    /// <param name="tag">The image's name and tag, such as <c>parallel-agents/base:1</c>.</param>
    /// <param name="endpoint">The engine; the default is <c>DOCKER_HOST</c>, else <c>unix:///var/run/docker.sock</c>.</param>
    /// <param name="cancellationToken">Cancels the import.</param>
    /// <returns>The new image's id (<c>sha256:...</c>).</returns>
    /// <exception cref="FileNotFoundException">The archive does not exist.</exception>
    /// <exception cref="DockerUnavailableException">No engine answered.</exception>
    /// <exception cref="InvalidOperationException">The engine refused the archive.</exception>
    public static async Task<string> ImportImageAsync(string rootFilesystemArchive, string tag, string? endpoint = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootFilesystemArchive);
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        string archive = Path.GetFullPath(rootFilesystemArchive);
        if (!File.Exists(archive))
        {
            throw new FileNotFoundException($"The root filesystem archive '{archive}' does not exist; make it with 'tar -C <rootfs> -cf {archive} .'.", archive);
        }

        (string repository, string version) = SplitTag(tag);
        using var docker = new DockerEndpoint(Endpoint(endpoint));
        await docker.EnsureAvailableAsync(cancellationToken).ConfigureAwait(false);
        var progress = new BuildProgress();
        await using (FileStream stream = File.OpenRead(archive))
        {
            await docker.Client.Images.CreateImageAsync(
                new ImagesCreateParameters { FromSrc = "-", Repo = repository, Tag = version },
                stream,
                authConfig: null,
                progress,
                cancellationToken).ConfigureAwait(false);
        }

        if (progress.Error is { } error)
        {
            throw new InvalidOperationException($"Importing '{archive}' as the image '{tag}' failed: {error}");
        }

        return await IdOfAsync(docker, tag, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Importing '{archive}' as the image '{tag}' ended without an image:\n{progress.Tail()}");
    }

    /// <summary>Whether the engine has an image.</summary>
    /// <param name="image">The image's name and tag, or id.</param>
    /// <param name="endpoint">The engine; the default is <c>DOCKER_HOST</c>, else <c>unix:///var/run/docker.sock</c>.</param>
    /// <param name="cancellationToken">Cancels the question.</param>
    /// <returns><see langword="true"/> when the engine has it.</returns>
    /// <exception cref="DockerUnavailableException">No engine answered.</exception>
    public static async Task<bool> ExistsAsync(string image, string? endpoint = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        using var docker = new DockerEndpoint(Endpoint(endpoint));
        await docker.EnsureAvailableAsync(cancellationToken).ConfigureAwait(false);
        return await IdOfAsync(docker, image, cancellationToken).ConfigureAwait(false) is not null;
    }

    private static string Endpoint(string? endpoint)
    {
        string address = endpoint ?? ContainerIsolationOptions.DefaultEndpoint;
        return DockerEndpoint.Check(address) is { } problem
            ? throw new ArgumentException($"The endpoint '{address}' {problem}.", nameof(endpoint))
            : address;
    }

    private static (string Repository, string Tag) SplitTag(string tag)
    {
        int colon = tag.LastIndexOf(':');
        return colon > tag.LastIndexOf('/') ? (tag[..colon], tag[(colon + 1)..]) : (tag, "latest");
    }

    private static async Task<string?> IdOfAsync(DockerEndpoint docker, string image, CancellationToken cancellationToken)
    {
        try
        {
            return (await docker.Client.Images.InspectImageAsync(image, cancellationToken).ConfigureAwait(false)).ID;
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The engine's build or import messages: the first error, and the last lines for context.</summary>
    private sealed class BuildProgress : IProgress<JSONMessage>
    {
        private readonly Queue<string> _tail = new();

        public string? Error { get; private set; }

        public void Report(JSONMessage value)
        {
            string? error = value.Error?.Message ?? value.ErrorMessage;
            if (!string.IsNullOrEmpty(error))
            {
                Error ??= error.Trim();
            }

            string? line = value.Stream ?? value.Status;
            if (!string.IsNullOrWhiteSpace(line))
            {
                lock (_tail)
                {
                    _tail.Enqueue(line.TrimEnd());
                    if (_tail.Count > 20)
                    {
                        _tail.Dequeue();
                    }
                }
            }
        }

        public string Tail()
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }
    }
}
