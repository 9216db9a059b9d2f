using System.Globalization;

namespace ParallelAgents.Sdk;

/// <summary>Keeps long tool output readable for a model: the head and the tail, and a note of what was cut between.</summary>
internal static class TextCap
{
    public static string HeadAndTail(string text, int maxChars, string? hint = null)
    {
        if (text.Length <= maxChars)
        {
            return text;
        }

        int headLength = maxChars / 2;
        int tailLength = maxChars - headLength;

        // Don't split a surrogate pair at either cut.
        if (char.IsHighSurrogate(text[headLength - 1]))
        {
            headLength--;
        }

        if (char.IsLowSurrogate(text[text.Length - tailLength]))
        {
            tailLength--;
        }

        int omitted = text.Length - headLength - tailLength;
        string note = string.Create(CultureInfo.InvariantCulture, $"[... {omitted:N0} characters cut{(hint is null ? "" : "; " + hint)} ...]");
        string head = text[..headLength];
        string before = head.EndsWith('\n') ? "" : "\n";
        return $"{head}{before}{note}\n{text[^tailLength..]}";
    }
}
