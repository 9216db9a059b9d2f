using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk;

/// <summary>Where and how a <see cref="FileSharedMemory"/> keeps its files.</summary>
public sealed class FileSharedMemoryOptions : SharedMemoryOptions
{
    /// <summary>The default <see cref="Path"/>, the original's <c>shared-memory/agent_memory.json</c>.</summary>
    public const string DefaultPath = "shared-memory/agent_memory.json";

    /// <summary>The snapshot file, readable JSON (<c>cat shared-memory/agent_memory.json | jq .</c>); the journal, the
    /// previous snapshot and the lock file are kept beside it, named after it.</summary>
    /// <value>A file path, relative to the current directory or absolute; its folder is created. The default is
    /// <c>shared-memory/agent_memory.json</c>.</value>
    public string Path { get; set; } = DefaultPath;

    /// <summary>When the journal is forced to disk, and so what an acknowledged write survives.</summary>
    /// <value>The default is <see cref="FlushPolicy.Batched"/>: an acknowledged write survives a crash of the process at
    /// once and a power loss after <see cref="BatchInterval"/>, and writing never waits for the disk. Choose
    /// <see cref="FlushPolicy.Always"/> when a write acknowledged a moment before a power cut must not be lost.</value>
    public FlushPolicy FlushPolicy { get; set; } = FlushPolicy.Batched;

    /// <summary>With <see cref="FlushPolicy.Batched"/>, the longest an acknowledged write waits to be flushed to disk:
    /// the most a power loss can take. Measured on <see cref="SharedMemoryOptions.TimeProvider"/>.</summary>
    /// <value>From 1 millisecond to 10 seconds. The default is 50 milliseconds.</value>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How many journal records are written before the snapshot is rewritten and the journal started afresh,
    /// which bounds the journal's size and the time to open the store. The journal is also restarted when it reaches
    /// 64 MiB, whichever comes first.</summary>
    /// <value>From 1 to 100,000,000. The default is 10,000.</value>
    public int SnapshotEvery { get; set; } = 10_000;

    /// <summary>How stale the snapshot file may get while writes go to the journal: after this time with unsaved
    /// writes, the snapshot is rewritten, so that <c>agent_memory.json</c> shows recent writes to people and tools that
    /// read it. Measured on <see cref="SharedMemoryOptions.TimeProvider"/>.</summary>
    /// <value>From 100 milliseconds to 1 day, or <see cref="Timeout.InfiniteTimeSpan"/> to rewrite it only after
    /// <see cref="SnapshotEvery"/> records and on dispose. The default is 5 seconds.</value>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where the store logs recovery (what a damaged file cost, where it was moved) and failures.</summary>
    /// <value>The default is <see cref="NullLoggerFactory.Instance"/>.</value>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A value is missing or out of its range; the message names it.</exception>
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("FileSharedMemoryOptions.Path must name a file, such as 'shared-memory/agent_memory.json'.", nameof(Path));
        }

        if (Path.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0 || Path.EndsWith('/') || Path.EndsWith('\\'))
        {
            throw new ArgumentException($"FileSharedMemoryOptions.Path '{Path}' is not a file path; use one such as 'shared-memory/agent_memory.json'.", nameof(Path));
        }

        if (!Enum.IsDefined(FlushPolicy))
        {
            throw new ArgumentOutOfRangeException(nameof(FlushPolicy), FlushPolicy, "FlushPolicy must be Always or Batched.");
        }

        if (BatchInterval < TimeSpan.FromMilliseconds(1) || BatchInterval > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(BatchInterval), BatchInterval, "BatchInterval must be from 1 millisecond to 10 seconds.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(SnapshotEvery, 1, nameof(SnapshotEvery));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SnapshotEvery, 100_000_000, nameof(SnapshotEvery));
        if (SnapshotInterval != Timeout.InfiniteTimeSpan && (SnapshotInterval < TimeSpan.FromMilliseconds(100) || SnapshotInterval > TimeSpan.FromDays(1)))
        {
            throw new ArgumentOutOfRangeException(nameof(SnapshotInterval), SnapshotInterval, "SnapshotInterval must be from 100 milliseconds to 1 day, or Timeout.InfiniteTimeSpan.");
        }

        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
    }

    /// <summary>A copy, so that changing the options after opening a store does not change the store.</summary>
    internal FileSharedMemoryOptions Clone() => (FileSharedMemoryOptions)MemberwiseClone();
}
