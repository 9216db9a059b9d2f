namespace ParallelAgents.Sdk;

/// <summary>
/// An isolation provider that an extension package (such as ParallelAgents.Sdk.Docker) registers on the builder to be
/// made by <see cref="ParallelAgentsBuilder.Build"/> from the builder's settings, then owned and disposed by the engine.
/// </summary>
internal sealed class OwnedIsolation
{
    /// <summary>The isolation name the provider will have; a later registration with the same name replaces this one.</summary>
    public required string Name { get; init; }

    /// <summary>Adds every problem of the provider's options to the list; called before anything is made, so that
    /// <see cref="ParallelAgentsBuilder.Build"/> reports them with the builder's own.</summary>
    public required Action<OwnedIsolationContext, List<string>> Validate { get; init; }

    /// <summary>Makes the provider once every check has passed. If it is <see cref="IAsyncDisposable"/>, the engine
    /// disposes it (before the engine's own worktree provider).</summary>
    public required Func<OwnedIsolationContext, IIsolationProvider> Create { get; init; }
}
