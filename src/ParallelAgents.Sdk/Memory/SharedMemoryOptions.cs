namespace ParallelAgents.Sdk;

/// <summary>Limits and clock shared by every <see cref="ISharedMemory"/> implementation.</summary>
public class SharedMemoryOptions
{
    /// <summary>The largest value accepted, in bytes of UTF-8 JSON.</summary>
    /// <value>At least 1. The default is 1 MiB (1,048,576).</value>
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>The longest key accepted, in characters.</summary>
    /// <value>From 1 to 4,096. The default is 512.</value>
    public int MaxKeyLength { get; set; } = 512;

    /// <summary>How many of the latest changes are kept for <see cref="ISharedMemory.WatchAsync"/> to resume from.</summary>
    /// <value>At least 1. The default is 65,536.</value>
    public int RetainedChanges { get; set; } = 65_536;

    /// <summary>Where entry timestamps come from.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range; the message names it.</exception>
    public virtual void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxValueBytes, 1, nameof(MaxValueBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxKeyLength, 1, nameof(MaxKeyLength));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxKeyLength, 4096, nameof(MaxKeyLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetainedChanges, 1, nameof(RetainedChanges));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }

    /// <summary>A copy of the limits and clock shared by every store, so that later changes to a caller's options
    /// instance do not reach an open store.</summary>
    internal SharedMemoryOptions CopyLimits() => new()
    {
        MaxValueBytes = MaxValueBytes,
        MaxKeyLength = MaxKeyLength,
        RetainedChanges = RetainedChanges,
        TimeProvider = TimeProvider,
    };
}
