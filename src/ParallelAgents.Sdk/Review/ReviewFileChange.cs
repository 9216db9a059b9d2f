namespace ParallelAgents.Sdk;

/// <summary>One file a task's branch changes, as <see cref="MergeReview.Files"/> lists it.</summary>
/// <param name="Path">The file's path in the repository, with <c>/</c> separators (the new path when renamed).</param>
/// <param name="Kind">What happened to it: <c>added</c>, <c>modified</c>, <c>deleted</c>, <c>renamed</c>,
/// <c>copied</c> or <c>type-changed</c>.</param>
/// <param name="LinesAdded">How many lines the branch adds to it (0 for a binary file).</param>
/// <param name="LinesDeleted">How many lines the branch removes from it (0 for a binary file).</param>
public sealed record ReviewFileChange(string Path, string Kind, int LinesAdded, int LinesDeleted)
{
    /// <summary>The path before a rename or copy, or <see langword="null"/>.</summary>
    public string? OldPath { get; init; }

    /// <summary>Whether git sees the file as binary (no lines are counted or shown).</summary>
    public bool IsBinary { get; init; }
}
