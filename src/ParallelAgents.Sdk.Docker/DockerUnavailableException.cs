namespace ParallelAgents.Sdk.Docker;

/// <summary>
/// Thrown before any agent starts when no Docker engine (or Docker-compatible engine such as Podman) answers at the
/// endpoint of <see cref="ContainerIsolationOptions.Endpoint"/>: start the engine there, or point the endpoint (or
/// <c>DOCKER_HOST</c>) at one that runs.
/// </summary>
public sealed class DockerUnavailableException : Exception
{
    private DockerUnavailableException(string message, string endpoint, Exception? innerException)
        : base(message, innerException)
    {
        Endpoint = endpoint;
    }

    /// <summary>Creates the exception.</summary>
    public DockerUnavailableException()
        : base("No Docker engine answered; start dockerd or set DOCKER_HOST (or ContainerIsolationOptions.Endpoint) to an engine that runs.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public DockerUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public DockerUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The endpoint tried, such as <c>unix:///var/run/docker.sock</c>; empty when not known.</summary>
    public string Endpoint { get; } = "";

    /// <summary>The exception for an endpoint where no engine answered.</summary>
    internal static DockerUnavailableException At(string endpoint, Exception? innerException) =>
        new(FormatMessage(endpoint, innerException), endpoint, innerException);

    private static string FormatMessage(string endpoint, Exception? innerException)
    {
        string cause = innerException is null ? "" : $" The Docker client said: {innerException.GetBaseException().Message}";
        string how = endpoint.StartsWith("unix://", StringComparison.OrdinalIgnoreCase)
            ? "start dockerd (for instance 'dockerd &' or 'systemctl start docker') or set DOCKER_HOST (or ContainerIsolationOptions.Endpoint) to the socket of an engine that runs, such as Podman's"
            : "start the engine there, check that the address and port are right and reachable, or set DOCKER_HOST (or ContainerIsolationOptions.Endpoint) to an engine that runs";
        return $"no Docker engine answered at {endpoint}; {how}.{cause}";
    }
}
