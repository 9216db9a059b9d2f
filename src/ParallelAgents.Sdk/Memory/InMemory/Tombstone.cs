namespace ParallelAgents.Sdk.InMemory;

/// <summary>A delete in the log, and the state of a deleted key: the delete's sequence number, key, author and time.</summary>
internal sealed class Tombstone(long sequence, string key, string author, DateTimeOffset timestamp)
{
    public long Sequence { get; } = sequence;

    public string Key { get; } = key;

    public string Author { get; } = author;

    public DateTimeOffset Timestamp { get; } = timestamp;
}
