using Docker.DotNet;

namespace ParallelAgents.Sdk.Docker;

/// <summary>The Docker client for one endpoint, and the check that an engine answers there.</summary>
internal sealed class DockerEndpoint : IDisposable
{
    /// <summary>How long a ping may take before the engine counts as not answering.</summary>
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(10);

    private readonly DockerClientConfiguration _configuration;

    public DockerEndpoint(string endpoint)
    {
        Address = endpoint;
        // Requests that stream (exec output, builds) are not bound by this timeout in Docker.DotNet; the others are
        // answered in milliseconds, so a minute only catches an engine that hangs.
        _configuration = new DockerClientConfiguration(new Uri(endpoint), defaultTimeout: TimeSpan.FromMinutes(1));
        Client = _configuration.CreateClient();
    }

    /// <summary>The endpoint, as given, such as <c>unix:///var/run/docker.sock</c>.</summary>
    public string Address { get; }

    public DockerClient Client { get; }

    /// <summary>What is wrong with an endpoint, or <see langword="null"/> when it can be used.</summary>
    public static string? Check(string endpoint)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return "is blank; leave it null for DOCKER_HOST or unix:///var/run/docker.sock";
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri))
        {
            return "is not a URI; give unix:///path/to/docker.sock or tcp://host:port";
        }

        return uri.Scheme switch
        {
            "unix" when uri.AbsolutePath.Length > 1 => null,
            "unix" => "names no socket path; give unix:///path/to/docker.sock",
            "tcp" or "http" when !string.IsNullOrEmpty(uri.Host) && !uri.IsDefaultPort => null,
            "tcp" or "http" => "needs a host and a port, such as tcp://127.0.0.1:2375",
            "npipe" => null,
            "https" => "uses TLS, which this provider does not set up; reach the engine through unix:// or plain tcp:// (for instance over an SSH tunnel)",
            _ => $"has the scheme '{uri.Scheme}'; use unix://, tcp:// or npipe://",
        };
    }

    /// <summary>Checks that an engine answers, or throws <see cref="DockerUnavailableException"/> naming the endpoint.</summary>
    public async Task EnsureAvailableAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PingTimeout);
        try
        {
            await Client.System.PingAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Whatever the client reports (no socket, refused, reset, timed out, not an engine), no engine answered.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            throw DockerUnavailableException.At(Address, ex);
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        _configuration.Dispose();
    }
}
