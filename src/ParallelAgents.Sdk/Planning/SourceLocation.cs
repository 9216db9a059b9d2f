namespace ParallelAgents.Sdk;

/// <summary>A position in a task file, for error messages that point at the offending text.</summary>
/// <param name="Path">The file the text came from, or <see langword="null"/> when it was parsed from a string.</param>
/// <param name="Line">The 1-based line.</param>
/// <param name="Column">The 1-based column.</param>
public sealed record SourceLocation(string? Path, int Line, int Column)
{
    /// <summary>Formats the location as <c>path(line,column)</c>, the form compilers and editors recognise.</summary>
    /// <returns>The formatted location.</returns>
    public override string ToString() => $"{Path ?? "<yaml>"}({Line},{Column})";
}
