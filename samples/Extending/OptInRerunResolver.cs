using ParallelAgents.Sdk;

namespace MyAgents;

/// <summary>Resolves conflicts by having the agent redo its work, but only for tasks that opt in by id.</summary>
public sealed class OptInRerunResolver(IReadOnlySet<string> taskIds) : IConflictResolver
{
    private readonly RerunAgentResolver _rerun = new();

    public string Name => "opt-in-rerun";

    public ValueTask<ConflictResolution> ResolveAsync(ConflictContext context, CancellationToken cancellationToken = default) =>
        taskIds.Contains(context.Task.Id)
            ? _rerun.ResolveAsync(context, cancellationToken)
            : ValueTask.FromResult(ConflictResolution.NotResolved($"task {context.Task.Id} did not opt in to reruns"));
}
