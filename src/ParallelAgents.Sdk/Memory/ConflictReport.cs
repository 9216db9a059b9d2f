namespace ParallelAgents.Sdk;

/// <summary>A conflict between agents' work, reported or predicted, as stored under <c>conflicts/&lt;name&gt;</c>.</summary>
/// <param name="Description">What conflicts, in a sentence.</param>
/// <param name="Files">The files involved, relative to the repository root.</param>
/// <param name="Tasks">The ids of the tasks involved.</param>
/// <param name="Predicted">Whether the conflict was forecast before a merge rather than met in one.</param>
public sealed record ConflictReport(string Description, IReadOnlyList<string> Files, IReadOnlyList<string> Tasks, bool Predicted = false);
