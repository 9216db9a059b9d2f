using System.Diagnostics;
using ParallelAgents.Sdk.InMemory;

namespace ParallelAgents.Sdk.Tests.Memory.InMemory;

public class SystemUtcClockTests
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void At_OneSecondOfTimestampsAfterTheAnchor_IsOneSecondLater()
    {
        var anchor = new SystemUtcClock.Anchor(Start.Ticks, 1_000);

        long ticks = SystemUtcClock.At(anchor, 1_000 + Stopwatch.Frequency);

        Assert.Equal(Start.AddSeconds(1).Ticks, ticks);
    }

    [Fact]
    public void Next_WallClockSteppedBack_GoesOnFromTheOldAnchor()
    {
        var anchor = new SystemUtcClock.Anchor(Start.Ticks, 0);

        SystemUtcClock.Anchor next = SystemUtcClock.Next(anchor, Stopwatch.Frequency, Start.AddMinutes(-5).Ticks);

        Assert.Equal(Start.AddSeconds(1).Ticks, next.UtcTicks);
        Assert.Equal(Stopwatch.Frequency, next.Timestamp);
    }

    [Fact]
    public void Next_WallClockSteppedForward_FollowsIt()
    {
        var anchor = new SystemUtcClock.Anchor(Start.Ticks, 0);

        SystemUtcClock.Anchor next = SystemUtcClock.Next(anchor, Stopwatch.Frequency, Start.AddMinutes(5).Ticks);

        Assert.Equal(Start.AddMinutes(5).Ticks, next.UtcTicks);
    }

    [Fact]
    public void UtcNow_ManyReadings_NeverGoBackAndStayWithTheWallClock()
    {
        DateTimeOffset before = DateTimeOffset.UtcNow;
        DateTimeOffset previous = SystemUtcClock.UtcNow();
        for (int i = 0; i < 100_000; i++)
        {
            DateTimeOffset reading = SystemUtcClock.UtcNow();
            Assert.True(reading >= previous, $"{reading:O} came after {previous:O}");
            Assert.Equal(TimeSpan.Zero, reading.Offset);
            previous = reading;
        }

        DateTimeOffset after = DateTimeOffset.UtcNow;

        // The anchor is taken again every second, so a reading is within a second of the wall clock (unless the wall
        // clock was stepped back while this ran).
        Assert.InRange(previous, before.AddSeconds(-1), after.AddSeconds(1));
    }
}
