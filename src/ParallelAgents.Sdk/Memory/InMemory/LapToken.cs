namespace ParallelAgents.Sdk.InMemory;

/// <summary>
/// What a place of the <see cref="CommitLog"/> holds once its record's data is copied into the place: the record's lap
/// of the ring, so the record's sequence number is <c>Lap × capacity + the place's index</c>.
/// </summary>
/// <remarks>A place holds a given token at most once (only its record of that lap is ever swapped for it, and laps only
/// move forward), so a compare-and-swap that expects a token cannot succeed on a later state of the place: the claim
/// stays free of ABA without an object per write in the ring.</remarks>
internal sealed class LapToken(long lap)
{
    /// <summary>The lap: the sequence number divided by the ring's capacity.</summary>
    public readonly long Lap = lap;
}
