namespace ParallelAgents.Sdk;

/// <summary>
/// The allow and deny lists of <c>run_command</c>: every part of a command line (split at the shell's command
/// separators) is matched against whole-word prefixes. It keeps a model from running what it was told not to run;
/// it is not a sandbox, and says so in the documentation.
/// </summary>
internal sealed class CommandPolicy(IList<string> allowed, IList<string> denied)
{
    /// <summary>Why the command is refused, or <see langword="null"/> when it may run.</summary>
    public string? Check(string command)
    {
        List<string> parts = Split(command);
        foreach (string part in parts)
        {
            string? deniedBy = denied.FirstOrDefault(prefix => Matches(part, prefix));
            if (deniedBy is not null)
            {
                return $"'{part}' is denied (it starts with '{deniedBy}', which ChatClientAgentOptions.DeniedCommands refuses). Do the task without it.";
            }
        }

        if (allowed.Count == 0)
        {
            return null;
        }

        if (command.Contains("$(", StringComparison.Ordinal) || command.Contains('`', StringComparison.Ordinal))
        {
            return "command substitution ($(...) or backquotes) is refused when only some commands are allowed; run the commands one by one.";
        }

        foreach (string part in parts)
        {
            if (!allowed.Any(prefix => Matches(part, prefix)))
            {
                return $"'{part}' is not allowed; allowed commands start with: {string.Join(", ", allowed)}.";
            }
        }

        return null;
    }

    /// <summary>Splits at <c>&amp;&amp;</c>, <c>||</c>, <c>;</c>, <c>|</c>, <c>&amp;</c> and new lines, but not at the
    /// <c>&amp;</c> of a redirection such as <c>2&gt;&amp;1</c>.</summary>
    private static List<string> Split(string command)
    {
        var parts = new List<string>();
        int start = 0;
        for (int i = 0; i < command.Length; i++)
        {
            char c = command[i];
            bool separator = c is ';' or '|' or '\n' or '\r'
                || (c == '&' && (i == 0 || command[i - 1] is not ('>' or '<')) && (i + 1 == command.Length || command[i + 1] != '>'));
            if (separator)
            {
                Add(parts, command[start..i]);
                start = i + 1;
            }
        }

        Add(parts, command[start..]);
        return parts;

        static void Add(List<string> parts, string part)
        {
            part = part.Trim();
            if (part.Length > 0)
            {
                parts.Add(part);
            }
        }
    }

    private static bool Matches(string part, string prefix)
    {
        string normalized = string.Join(' ', part.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        string wanted = string.Join(' ', prefix.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return normalized.StartsWith(wanted, StringComparison.Ordinal)
            && (normalized.Length == wanted.Length || normalized[wanted.Length] == ' ');
    }
}
