using System.Globalization;
using System.Text.RegularExpressions;

namespace ParallelAgents.Sdk;

/// <summary>Parses the durations of task files: <c>90s</c>, <c>30m</c>, <c>1h30m</c>, <c>500ms</c> or <c>01:30:00</c>.</summary>
internal static partial class DurationParser
{
    [GeneratedRegex(@"^\s*(?:(?<h>\d+(?:\.\d+)?)h)?\s*(?:(?<m>\d+(?:\.\d+)?)m(?!s))?\s*(?:(?<s>\d+(?:\.\d+)?)s)?\s*(?:(?<ms>\d+)ms)?\s*$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex UnitsPattern();

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        Match match = UnitsPattern().Match(text);
        if (match.Success && (match.Groups["h"].Success || match.Groups["m"].Success || match.Groups["s"].Success || match.Groups["ms"].Success))
        {
            double seconds = Part(match, "h") * 3600 + Part(match, "m") * 60 + Part(match, "s") + Part(match, "ms") / 1000;
            if (seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                return false;
            }

            value = TimeSpan.FromSeconds(seconds);
            return true;
        }

        return text.Contains(':', StringComparison.Ordinal)
            && TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out value);
    }

    private static double Part(Match match, string group) =>
        match.Groups[group].Success ? double.Parse(match.Groups[group].Value, NumberStyles.Float, CultureInfo.InvariantCulture) : 0;
}
