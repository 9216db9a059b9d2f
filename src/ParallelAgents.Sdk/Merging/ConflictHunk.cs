namespace ParallelAgents.Sdk;

/// <summary>
/// One conflicting hunk of a three-way merge of a text file: where it sits in the ancestor and in each side.
/// Starts are 1-based line numbers; a count of 0 means the side has no lines there (it deleted them, or the other side
/// inserted lines), and its start is then the line the hunk would stand before (one past the end at the end of the file).
/// </summary>
internal readonly record struct ConflictHunk(int BaseStart, int BaseCount, int OursStart, int OursCount, int TheirsStart, int TheirsCount)
{
    /// <summary>The ours side's lines as a range, or <see langword="null"/> when it has none here.</summary>
    public LineRange? OursRange => OursCount == 0 ? null : new LineRange(OursStart, OursStart + OursCount - 1);

    /// <summary>The theirs side's lines as a range, or <see langword="null"/> when it has none here.</summary>
    public LineRange? TheirsRange => TheirsCount == 0 ? null : new LineRange(TheirsStart, TheirsStart + TheirsCount - 1);

    /// <summary>The ancestor's lines as a range, or <see langword="null"/> when it has none here.</summary>
    public LineRange? BaseRange => BaseCount == 0 ? null : new LineRange(BaseStart, BaseStart + BaseCount - 1);
}
