using System.Collections.Concurrent;

namespace ParallelAgents.Sdk.Tests.Merging;

/// <summary>A hand-written resolver driven by a callback; it records every context it was asked with.</summary>
internal sealed class TestResolver(string name, Func<ConflictContext, ConflictResolution> resolve) : IConflictResolver
{
    public string Name => name;

    public ConcurrentQueue<ConflictContext> Calls { get; } = new();

    public List<string>? SharedLog { get; init; }

    public ValueTask<ConflictResolution> ResolveAsync(ConflictContext context, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue(context);
        SharedLog?.Add(name);
        return ValueTask.FromResult(resolve(context));
    }
}
