namespace ParallelAgents.Sdk;

/// <summary>A range of lines in one side of a conflicted file, 1-based and inclusive.</summary>
/// <remarks>A side that deleted the lines the other side changed has an empty range, <c>End == Start - 1</c>, placed
/// where the deleted lines were: <c>(5, 4)</c> means "nothing, just before line 5".</remarks>
/// <param name="Start">The first line.</param>
/// <param name="End">The last line; equal to <paramref name="Start"/> for one line.</param>
public readonly record struct LineRange(int Start, int End)
{
    /// <summary>Whether the range holds no line (the side deleted the lines in conflict).</summary>
    public bool IsEmpty => End < Start;

    /// <summary>How many lines the range holds.</summary>
    public int Count => Math.Max(0, End - Start + 1);

    /// <inheritdoc/>
    public override string ToString() => IsEmpty ? $"none before {Start}" : Start == End ? $"{Start}" : $"{Start}-{End}";
}

/// <summary>One file that the main branch and a task's branch changed in ways that do not merge.</summary>
public sealed class MergeConflict
{
    /// <summary>The file's path in the repository, with <c>/</c> separators (the task's side's path when it was renamed).</summary>
    public required string Path { get; init; }

    /// <summary>What kind of conflict: <c>content</c> (both changed the same lines), <c>add/add</c>,
    /// <c>modify/delete</c>, <c>delete/modify</c>, <c>rename</c>, <c>binary</c>, or <c>directory-rename</c> (one side
    /// added a file in a directory the other side renamed, which <c>git merge</c> also stops at; no line ranges).</summary>
    public required string Kind { get; init; }

    /// <summary>The lines of the main branch's version that conflict.</summary>
    /// <value>Empty when the main branch deleted the file or the file is binary.</value>
    public IReadOnlyList<LineRange> OursLines { get; init; } = [];

    /// <summary>The lines of the task's version that conflict.</summary>
    /// <value>Empty when the task deleted the file or the file is binary.</value>
    public IReadOnlyList<LineRange> TheirsLines { get; init; } = [];

    /// <summary>The other task whose merged work is on the main branch's side of the conflict, when known.</summary>
    public string? OtherTaskId { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Path} ({Kind})";
}
