namespace ParallelAgents.Sdk;

/// <summary>One change of a line diff: lines [<paramref name="AStart"/>, +<paramref name="ACount"/>) of the old text
/// became lines [<paramref name="BStart"/>, +<paramref name="BCount"/>) of the new one; 0-based.</summary>
internal readonly record struct LineEdit(int AStart, int ACount, int BStart, int BCount);
