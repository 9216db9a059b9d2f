using System.Diagnostics;

namespace ParallelAgents.Sdk.InMemory;

/// <summary>
/// The time of <see cref="TimeProvider.System"/> for entry timestamps, read from the monotonic clock
/// (<see cref="Stopwatch.GetTimestamp"/>) against a wall-clock anchor taken again every second, instead of the wall
/// clock itself on every write.
/// </summary>
/// <remarks>
/// <para>Why: on Linux the wall clock costs about twice the monotonic one, and a write read it every time; the
/// scheduler times its runs the same way.</para>
/// <para>Honest: the two clocks run at the same rate (NTP slews both), and the anchor follows the wall clock again
/// within a second of a step. Monotonic: a new anchor is never behind what the one it replaces gives at the same
/// instant, so a thread's readings never go back, and after a backward step of the wall clock they go on from where they
/// were, at the clock's rate, until the wall clock catches up. (Across threads, only the second in which a forward
/// step is taken in can order two readings otherwise than the instants they were taken at.)</para>
/// </remarks>
internal static class SystemUtcClock
{
    private static readonly double TicksPerTimestamp = (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency;
    private static readonly long AnchorLifetime = Stopwatch.Frequency;

    private static Anchor s_anchor = new(DateTime.UtcNow.Ticks, Stopwatch.GetTimestamp());

    /// <summary>The current UTC time, offset zero, as <see cref="TimeProvider.System"/> would give it.</summary>
    public static DateTimeOffset UtcNow()
    {
        // The anchor first: its timestamp was read before it was published, so 'now' is never before it.
        Anchor anchor = Volatile.Read(ref s_anchor);
        long now = Stopwatch.GetTimestamp();
        if (now - anchor.Timestamp >= AnchorLifetime)
        {
            anchor = Renew(anchor, now, DateTime.UtcNow.Ticks);
        }

        return new DateTimeOffset(At(anchor, now), TimeSpan.Zero);
    }

    /// <summary>The UTC ticks the anchor gives for the monotonic <paramref name="timestamp"/>.</summary>
    internal static long At(Anchor anchor, long timestamp) =>
        anchor.UtcTicks + (long)((timestamp - anchor.Timestamp) * TicksPerTimestamp);

    /// <summary>Makes an anchor at <paramref name="now"/> on the wall clock's <paramref name="wallTicks"/>, or on what
    /// <paramref name="current"/> gives then if the wall clock is behind it, and publishes it unless a newer one is.</summary>
    internal static Anchor Renew(Anchor current, long now, long wallTicks)
    {
        Anchor seen = current;
        while (true)
        {
            Anchor renewed = Next(seen, now, wallTicks);
            if (seen.Timestamp >= now)
            {
                // Another thread renewed it at this instant or later; this one, built on it, is not behind it.
                return renewed;
            }

            Anchor previous = Interlocked.CompareExchange(ref s_anchor, renewed, seen);
            if (ReferenceEquals(previous, seen))
            {
                return renewed;
            }

            seen = previous;
        }
    }

    /// <summary>The anchor after <paramref name="current"/> at the monotonic <paramref name="now"/>: on the wall clock's
    /// <paramref name="wallTicks"/>, unless that is behind what <paramref name="current"/> gives then.</summary>
    internal static Anchor Next(Anchor current, long now, long wallTicks) => new(Math.Max(wallTicks, At(current, now)), now);

    /// <summary>A wall-clock time and the monotonic timestamp read with it.</summary>
    internal sealed class Anchor(long utcTicks, long timestamp)
    {
        /// <summary>UTC ticks.</summary>
        public readonly long UtcTicks = utcTicks;

        /// <summary>A <see cref="Stopwatch.GetTimestamp"/> reading.</summary>
        public readonly long Timestamp = timestamp;
    }
}
