namespace ParallelAgents.Sdk.Docker;

/// <summary>Which network a task's container is on (<see cref="ContainerIsolationOptions.Network"/>).</summary>
public enum ContainerNetwork
{
    /// <summary>No network but loopback (Docker's <c>none</c>): nothing inside can reach anything outside, nor the
    /// other agents' containers. The default.</summary>
    None,

    /// <summary>A network of the run's own (<c>parallelagents-&lt;run-id&gt;</c>) shared by the run's containers and
    /// cut off from everything outside (Docker's <c>--internal</c>, the original's <c>internal: true</c>): the agents'
    /// containers reach each other, not the host's other networks nor the internet. It is removed when the run ends.</summary>
    Internal,

    /// <summary>Docker's default <c>bridge</c> network: the container reaches whatever the Docker host reaches,
    /// the internet included. Use it only for tasks that must download (packages, for instance), and never with secrets.</summary>
    Bridge,
}
