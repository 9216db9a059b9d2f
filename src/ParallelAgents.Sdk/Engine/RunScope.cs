namespace ParallelAgents.Sdk;

/// <summary>The logging scope of one run: structured (<c>RunId</c>), so log sinks can filter by run.</summary>
/// <remarks>It covers what the engine's providers log for the run too; each attempt adds its own scope inside it
/// (<c>RunId</c>, <c>TaskId</c>, <c>Attempt</c>, <c>Lane</c>), whole on its own for code that runs an attempt without the engine.</remarks>
internal sealed class RunScope(string runId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new("RunId", runId) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"Run {runId}";
}
