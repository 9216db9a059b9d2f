namespace ParallelAgents.Sdk.Tests.Planning;

/// <summary>The durations a task file may write for <c>timeout</c>.</summary>
public class DurationParserTests
{
    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("30m", 1_800_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("2h15m30s", 8_130_000)]
    [InlineData("1h 30m", 5_400_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("0.5m", 30_000)]
    [InlineData("500ms", 500)]
    [InlineData("1s500ms", 1_500)]
    [InlineData("1m500ms", 60_500)]
    [InlineData("1H30M", 5_400_000)]
    [InlineData(" 45s ", 45_000)]
    [InlineData("01:30:00", 5_400_000)]
    [InlineData("00:00:05", 5_000)]
    [InlineData("1:30", 5_400_000)]
    [InlineData("1.02:00:00", 93_600_000)]
    [InlineData("0s", 0)]
    public void TryParse_ValidDuration_ReturnsTheTimeSpan(string text, long milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out TimeSpan value));

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("30")]
    [InlineData("h")]
    [InlineData("ms")]
    [InlineData("1d")]
    [InlineData("1w")]
    [InlineData("soon")]
    [InlineData("30 m")]
    [InlineData("-5m")]
    [InlineData("1m1h")]
    [InlineData("1h30")]
    [InlineData("1.5ms")]
    [InlineData("1:99:00")]
    [InlineData("99999999999999999h")]
    public void TryParse_InvalidDuration_ReturnsFalse(string text)
    {
        Assert.False(DurationParser.TryParse(text, out TimeSpan value));

        Assert.Equal(TimeSpan.Zero, value);
    }

    [Fact]
    public void TryParse_NegativeClockTime_ReturnsTheNegativeValueForTheValidatorToReject()
    {
        Assert.True(DurationParser.TryParse("-00:05:00", out TimeSpan value));

        Assert.Equal(TimeSpan.FromMinutes(-5), value);
    }
}
