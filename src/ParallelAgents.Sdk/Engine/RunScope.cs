namespace ParallelAgents.Sdk;

/// <summary>The logging scope of one run: structured (<c>RunId</c>), so log sinks can filter by run.</summary>
/// <remarks>Each attempt adds its own scope inside it (<c>TaskId</c>, <c>Attempt</c>, <c>Lane</c>).</remarks>
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
