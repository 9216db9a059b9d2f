using System.Text;
using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>Reads a whole resolved file out of a model's answer, and checks it for conflict markers.</summary>
/// <remarks>
/// Accepted, in this order: a fenced block (backticks or tildes, three or more) tagged <c>resolved</c>; else the only
/// fenced block of the answer (a <c>json</c> block holding <c>{"content": "..."}</c> gives that content); else a bare
/// JSON object with a <c>content</c> (or <c>resolved</c>) string. Anything else is malformed.
/// </remarks>
internal static class ResolvedFileAnswer
{
    /// <summary>Finds the resolved file in <paramref name="answer"/>.</summary>
    /// <param name="answer">The model's whole answer.</param>
    /// <param name="newline">The line ending to write the file with.</param>
    /// <param name="finalNewline">Whether the file ends with a line ending (the block's content always does).</param>
    /// <param name="content">The file's content, when found.</param>
    /// <param name="problem">What is wrong with the answer, when not.</param>
    public static bool TryRead(string? answer, string newline, bool finalNewline, out string content, out string problem)
    {
        content = "";
        problem = "";
        if (string.IsNullOrWhiteSpace(answer))
        {
            problem = "the answer was empty";
            return false;
        }

        string[] lines = answer.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        List<Block> blocks = Blocks(lines, out string? unclosed);
        Block? chosen = blocks.FirstOrDefault(b => string.Equals(b.Info, "resolved", StringComparison.OrdinalIgnoreCase));
        if (chosen is null && unclosed is not null)
        {
            problem = $"its block opened with '{unclosed}' is never closed";
            return false;
        }

        if (chosen is null && blocks.Count == 1)
        {
            chosen = blocks[0];
            if (string.Equals(chosen.Info, "json", StringComparison.OrdinalIgnoreCase))
            {
                if (TryJson(string.Join('\n', chosen.Lines), out content))
                {
                    return true;
                }

                problem = "its json block holds no object with a \"content\" string";
                return false;
            }
        }

        if (chosen is null)
        {
            if (blocks.Count == 0 && TryJson(answer.Trim(), out content))
            {
                return true;
            }

            problem = blocks.Count == 0
                ? $"it holds no fenced block tagged 'resolved' (it begins: \"{Excerpt(answer)}\")"
                : $"it holds {blocks.Count} fenced blocks and none is tagged 'resolved'";
            return false;
        }

        var text = new StringBuilder();
        for (int i = 0; i < chosen.Lines.Count; i++)
        {
            text.Append(chosen.Lines[i]);
            if (i < chosen.Lines.Count - 1 || finalNewline)
            {
                text.Append(newline);
            }
        }

        content = text.ToString();
        return true;
    }

    /// <summary>The first line of <paramref name="content"/> that is a conflict marker (<c>&lt;&lt;&lt;&lt;&lt;&lt;&lt;</c>,
    /// <c>|||||||</c>, <c>=======</c> between them, <c>&gt;&gt;&gt;&gt;&gt;&gt;&gt;</c>) and that neither side's version has, or
    /// <see langword="null"/>.</summary>
    public static string? FindMarker(string content, IEnumerable<string?> versions)
    {
        HashSet<string>? existing = null;
        bool open = false;
        foreach (string raw in content.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            bool opening = IsMarker(line, '<'), closing = IsMarker(line, '>');
            bool middle = open && (line == "=======" || IsMarker(line, '|'));
            if (!opening && !closing && !middle)
            {
                continue;
            }

            // A marker-like line that one of the versions already has is content (a test fixture, a diff in a doc).
            existing ??= [.. versions.Where(v => v is not null).SelectMany(v => v!.Split('\n').Select(l => l.TrimEnd('\r')))];
            if (!existing.Contains(line))
            {
                return line;
            }

            open = opening || (open && !closing);
        }

        return null;
    }

    private static bool IsMarker(string line, char c) =>
        line.Length >= 7 && line.AsSpan(0, 7).IndexOfAnyExcept(c) < 0 && (line.Length == 7 || line[7] == ' ');

    private static List<Block> Blocks(string[] lines, out string? unclosed)
    {
        var blocks = new List<Block>();
        unclosed = null;
        for (int i = 0; i < lines.Length; i++)
        {
            string opening = lines[i].TrimEnd();
            int run = FenceRun(opening);
            if (run < 3)
            {
                continue;
            }

            char fence = opening[0];
            string info = opening[run..].Trim();
            int end = -1;
            for (int j = i + 1; j < lines.Length; j++)
            {
                string candidate = lines[j].TrimEnd();
                if (FenceRun(candidate) >= run && candidate[0] == fence && candidate.AsSpan().IndexOfAnyExcept(fence) < 0)
                {
                    end = j;
                    break;
                }
            }

            if (end < 0)
            {
                unclosed ??= opening;
                break;
            }

            blocks.Add(new Block(info, [.. lines[(i + 1)..end].Select(l => l.TrimEnd('\r'))]));
            i = end;
        }

        return blocks;
    }

    private static int FenceRun(string line)
    {
        if (line.Length == 0 || line[0] is not ('`' or '~'))
        {
            return 0;
        }

        int run = line.AsSpan().IndexOfAnyExcept(line[0]);
        return run < 0 ? line.Length : run;
    }

    private static bool TryJson(string text, out string content)
    {
        content = "";
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (string name in (string[])["content", "resolved"])
                {
                    if (document.RootElement.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String)
                    {
                        content = value.GetString()!;
                        return true;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the caller reports the answer as malformed.
        }

        return false;
    }

    private static string Excerpt(string answer)
    {
        string flat = answer.Trim().ReplaceLineEndings(" ");
        return flat.Length <= 80 ? flat : flat[..80] + "…";
    }

    private sealed record Block(string Info, List<string> Lines);
}
