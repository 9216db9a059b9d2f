namespace ParallelAgents.Sdk;

/// <summary>A commit made in a workspace (<see cref="IAgentWorkspace.CommitAsync"/>).</summary>
public sealed class WorkspaceCommit
{
    /// <summary>The commit's full hexadecimal id.</summary>
    public required string CommitId { get; init; }

    /// <summary>The branch the commit is on, such as <c>agent/backend-api</c>.</summary>
    public required string Branch { get; init; }

    /// <summary>The files the commit added, changed or deleted, relative to the repository root, with <c>/</c> separators.</summary>
    public required IReadOnlyList<string> ChangedFiles { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{CommitId[..Math.Min(12, CommitId.Length)]} on {Branch} ({ChangedFiles.Count} files)";
}
