namespace ParallelAgents.Sdk;

/// <summary>
/// Thrown by <see cref="ISharedMemory.WatchAsync"/> when the changes asked for are older than the store retains:
/// take a snapshot and watch from its sequence instead.
/// </summary>
public sealed class ChangeFeedTruncatedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="requestedSequence">The sequence the watcher asked to resume after.</param>
    /// <param name="oldestRetainedSequence">The oldest change the store still has.</param>
    public ChangeFeedTruncatedException(long requestedSequence, long oldestRetainedSequence)
        : base($"The shared memory no longer retains the changes after sequence {requestedSequence} (the oldest it keeps is {oldestRetainedSequence}). Take a snapshot with SnapshotAsync and watch from its Sequence instead.")
    {
        RequestedSequence = requestedSequence;
        OldestRetainedSequence = oldestRetainedSequence;
    }

    /// <summary>Creates the exception with a message.</summary>
    public ChangeFeedTruncatedException()
        : base("The shared memory no longer retains the changes asked for. Take a snapshot and watch from its Sequence instead.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ChangeFeedTruncatedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public ChangeFeedTruncatedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The sequence the watcher asked to resume after.</summary>
    public long RequestedSequence { get; }

    /// <summary>The oldest change the store still has.</summary>
    public long OldestRetainedSequence { get; }
}
