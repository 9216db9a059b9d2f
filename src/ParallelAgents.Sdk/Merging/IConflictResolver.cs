namespace ParallelAgents.Sdk;

/// <summary>
/// Turns a conflicted merge of a task's branch into one that merges cleanly, or declines. Resolvers form a chain:
/// the engine asks each in turn until one resolves the conflict; when none does, the merge ends
/// <see cref="MergeStatus.Conflict"/> and the report lists every conflicted file.
/// </summary>
public interface IConflictResolver
{
    /// <summary>The resolver's name, as reports show it (such as <c>rerun-agent</c> or <c>report-only</c>).</summary>
    string Name { get; }

    /// <summary>Tries to resolve the conflicts of one merge.</summary>
    /// <param name="context">The task, both sides of the merge and the conflicts.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>A resolution: a commit that merges cleanly into <see cref="ConflictContext.OursCommit"/>, or
    /// <see cref="ConflictResolution.NotResolved(string)"/> with the reason, to pass to the next resolver.</returns>
    ValueTask<ConflictResolution> ResolveAsync(ConflictContext context, CancellationToken cancellationToken = default);
}
