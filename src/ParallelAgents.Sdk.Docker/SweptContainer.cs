namespace ParallelAgents.Sdk.Docker;

/// <summary>A container or network that <see cref="ContainerIsolationProvider.SweepAsync"/> removed.</summary>
public sealed class SweptContainer
{
    /// <summary>The container's or network's id.</summary>
    public required string Id { get; init; }

    /// <summary>The container's or network's name.</summary>
    public required string Name { get; init; }

    /// <summary>Whether it was a run's internal network rather than a container.</summary>
    public bool IsNetwork { get; init; }

    /// <summary>The run that made it.</summary>
    public string? RunId { get; init; }

    /// <summary>The task it was for; <see langword="null"/> for a network.</summary>
    public string? TaskId { get; init; }

    /// <summary>Why it was removed, such as <c>process 4242 that made it has ended</c>.</summary>
    public required string Reason { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{(IsNetwork ? "network" : "container")} {Name} of run {RunId ?? "?"}: {Reason}";
}
