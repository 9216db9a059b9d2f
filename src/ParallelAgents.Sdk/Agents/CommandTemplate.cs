using System.Text.RegularExpressions;

namespace ParallelAgents.Sdk;

/// <summary>The placeholders of a <see cref="CommandAgentOptions.Command"/>: checking a template and filling it in with
/// every value quoted as one POSIX shell word.</summary>
internal static partial class CommandTemplate
{
    /// <summary>The placeholders a template may hold.</summary>
    public static readonly IReadOnlyList<string> Names =
        ["instructions", "prompt", "prompt_file", "task_id", "attempt", "criteria", "checks", "previous_error"];

    /// <summary>The problems of a template: unknown placeholders, each named with the known ones.</summary>
    public static IEnumerable<string> Check(string template)
    {
        foreach (Match match in Placeholder().Matches(template))
        {
            string name = match.Groups["name"].Value;
            if (!Names.Contains(name, StringComparer.Ordinal))
            {
                yield return $"CommandAgentOptions.Command has the placeholder '{{{name}}}' at character {match.Index + 1}, which is unknown; " +
                    $"use one of {string.Join(", ", Names.Select(n => "{" + n + "}"))} (write ${{{name}}} for a shell variable).";
            }
        }
    }

    /// <summary>Fills in <paramref name="template"/> in one pass, so placeholder-like text inside a value stays as it is.</summary>
    public static string Render(string template, Func<string, string> value) =>
        Placeholder().Replace(template, match => Quote(value(match.Groups["name"].Value)));

    /// <summary>Quotes a value as one word for a POSIX shell: inside single quotes nothing is special but the single
    /// quote itself, which is closed, escaped and reopened.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary><c>{name}</c> not preceded by <c>$</c>, which the shell's own <c>${NAME}</c> is.</summary>
    [GeneratedRegex(@"(?<!\$)\{(?<name>[a-z][a-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
