namespace ParallelAgents.Sdk;

/// <summary>What a journal file holds: its readable records, in order, and where and why reading stopped early.</summary>
internal sealed class JournalScan(string path, long length)
{
    public string Path { get; } = path;

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; } = length;

    /// <summary>The bytes from the start that hold whole, checked records.</summary>
    public long GoodLength { get; set; }

    /// <summary>The readable records, with consecutive sequence numbers.</summary>
    public List<MemoryChange> Records { get; } = [];

    /// <summary>Why reading stopped before the end of the file, or <see langword="null"/> when it did not.</summary>
    public JournalDamage? Damage { get; set; }

    public long LastSequence => Records.Count == 0 ? 0 : Records[^1].Sequence;
}

/// <summary>Where a journal stops being readable.</summary>
/// <param name="Offset">The byte where the first unreadable record starts.</param>
/// <param name="Reason">What is wrong there, in words.</param>
/// <param name="UnreadableBytes">The bytes from <paramref name="Offset"/> to the end of the file.</param>
/// <param name="IntactRecordsAfter">Records after the damage whose checksums still match (they cannot be replayed:
/// the damaged record between them and the good ones is missing), or -1 when the rest was too large to search.</param>
/// <param name="FirstSequenceAfter">The first of those records' sequence numbers (0 when there are none).</param>
/// <param name="LastSequenceAfter">The last of those records' sequence numbers (0 when there are none).</param>
internal sealed record JournalDamage(long Offset, string Reason, long UnreadableBytes, int IntactRecordsAfter, long FirstSequenceAfter, long LastSequenceAfter)
{
    /// <summary>Whether the damage looks like a write cut short at the end, rather than corruption in the middle.</summary>
    public bool IsTornTail { get; init; }
}
