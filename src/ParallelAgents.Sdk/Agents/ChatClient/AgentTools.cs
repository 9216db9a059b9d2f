using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>
/// The tools of one attempt, bound to its workspace and the shared memory. Each returns text for the model; problems
/// the model can act on (a missing file, text not found, a refused command) come back as text starting with
/// <c>Error:</c>, and whatever a tool throws is turned into such text by <see cref="ToolInvoker"/>.
/// </summary>
internal sealed class AgentTools(AgentContext context, IAgentWorkspace workspace, ChatClientAgentOptions options, AttemptState state)
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);

    private readonly CommandPolicy _policy = new(options.AllowedCommands, options.DeniedCommands);

    private WorkspaceFiles Files => workspace.Files;

    private string Author => context.Lane == 0 ? context.Task.Id : string.Create(CultureInfo.InvariantCulture, $"{context.Task.Id}#{context.Lane}");

    public IList<AITool> Create()
    {
        var tools = new List<AITool>
        {
            AIFunctionFactory.Create(ListFiles, "list_files", "Lists the files of the workspace (or of one folder in it), one path per line, relative to the workspace root."),
            AIFunctionFactory.Create(ReadFileAsync, "read_file", "Reads a text file of the workspace, whole or a range of lines (1-based, inclusive)."),
            AIFunctionFactory.Create(WriteFileAsync, "write_file", "Writes a whole text file, replacing it if it exists and making its folders as needed."),
            AIFunctionFactory.Create(EditFileAsync, "edit_file", "Replaces one exact occurrence of old_text with new_text in a file. old_text must match the file exactly (whitespace included) and occur exactly once: include surrounding lines to make it unique."),
            AIFunctionFactory.Create(DeleteFileAsync, "delete_file", "Deletes a file of the workspace."),
            AIFunctionFactory.Create(SearchAsync, "search", "Searches the workspace's text files for a regular expression (.NET syntax), line by line; returns path:line: text for each match."),
            AIFunctionFactory.Create(RunCommandAsync, "run_command", "Runs a shell command in the workspace (such as the tests) and returns its exit code and output (stdout and stderr)."),
            AIFunctionFactory.Create(Finish, "finish", "Says the task is done. The checks then run; if one fails you get its output and go on."),
        };

        if (context.Memory is not null)
        {
            tools.Add(AIFunctionFactory.Create(MemoryGetAsync, "memory_get", "Reads one key of the memory shared by all agents."));
            tools.Add(AIFunctionFactory.Create(MemorySetAsync, "memory_set", "Writes a JSON value under a key of the memory shared by all agents."));
            tools.Add(AIFunctionFactory.Create(MemoryListAsync, "memory_list", "Lists the entries of the shared memory whose keys start with a prefix (such as discoveries/ or conflicts/)."));
            tools.Add(AIFunctionFactory.Create(ReportDiscoveryAsync, "report_discovery", "Shares something other agents need (routes, schema, names, decisions) under discoveries/<name>."));
            tools.Add(AIFunctionFactory.Create(ReportConflictAsync, "report_conflict", "Reports work that overlaps or clashes with another task's, under conflicts/<name>."));
        }

        return tools;
    }

    private string ListFiles(
        [Description("A folder relative to the workspace root; omit for the whole workspace.")] string? directory = null,
        [Description("Whether to list the files of sub-folders too.")] bool recursive = true)
    {
        IReadOnlyList<string> files = Files.ListFiles(directory, recursive, options.MaxListedFiles + 1);
        if (files.Count == 0)
        {
            return $"No files in {(string.IsNullOrEmpty(directory) ? "the workspace" : directory)}.";
        }

        var text = new StringBuilder();
        foreach (string file in files.Take(options.MaxListedFiles))
        {
            text.Append(file).Append('\n');
        }

        if (files.Count > options.MaxListedFiles)
        {
            text.Append(CultureInfo.InvariantCulture, $"[only the first {options.MaxListedFiles:N0} files are listed; list a sub-folder to see more]\n");
        }

        return text.ToString();
    }

    private async Task<string> ReadFileAsync(
        [Description("The file's path relative to the workspace root.")] string path,
        [Description("The first line to read, 1-based; omit to start at the beginning.")] int? start_line = null,
        [Description("The last line to read, inclusive; omit to read to the end.")] int? end_line = null,
        CancellationToken cancellationToken = default)
    {
        if (start_line is < 1)
        {
            return $"Error: start_line is {start_line}; lines are numbered from 1.";
        }

        if (start_line is not null && end_line is not null && end_line < start_line)
        {
            return $"Error: end_line ({end_line}) is before start_line ({start_line}).";
        }

        if (CheckSize(path) is { } tooLarge)
        {
            return tooLarge;
        }

        string content = await Files.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        if (start_line is null && end_line is null)
        {
            return TextCap.HeadAndTail(content, options.MaxToolResultChars, "read a range with start_line and end_line to see the middle");
        }

        string[] lines = content.Split('\n');
        int count = content.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        int first = start_line ?? 1;
        int last = Math.Min(end_line ?? count, count);
        if (first > count)
        {
            return $"Error: {path} has {count} lines; start_line {first} is past its end.";
        }

        string range = string.Join('\n', lines[(first - 1)..last]);
        return TextCap.HeadAndTail($"[{path}: lines {first}-{last} of {count}]\n{range}", options.MaxToolResultChars, "read a smaller range");
    }

    private async Task<string> WriteFileAsync(
        [Description("The file's path relative to the workspace root.")] string path,
        [Description("The file's whole new content.")] string content,
        CancellationToken cancellationToken = default)
    {
        bool existed = Files.FileExists(path);
        await Files.WriteAllTextAsync(path, content, cancellationToken).ConfigureAwait(false);
        ReportFileChanged(path);
        return string.Create(CultureInfo.InvariantCulture, $"{(existed ? "Replaced" : "Created")} {path} ({content.Length:N0} characters).");
    }

    private async Task<string> EditFileAsync(
        [Description("The file's path relative to the workspace root.")] string path,
        [Description("The exact text to replace, as it is in the file; it must occur exactly once.")] string old_text,
        [Description("The text to put in its place.")] string new_text,
        CancellationToken cancellationToken = default)
    {
        if (old_text.Length == 0)
        {
            return "Error: old_text is empty; give the exact text to replace (use write_file to write a whole file).";
        }

        if (CheckSize(path) is { } tooLarge)
        {
            return tooLarge;
        }

        string content = await Files.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        string search = old_text;
        List<int> matches = FindAll(content, search);
        if (matches.Count == 0 && content.Contains("\r\n", StringComparison.Ordinal) && !old_text.Contains("\r\n", StringComparison.Ordinal))
        {
            // The file has Windows line ends; the model almost always sends plain new lines.
            search = old_text.Replace("\n", "\r\n", StringComparison.Ordinal);
            matches = FindAll(content, search);
        }

        if (matches.Count == 0)
        {
            return $"Error: old_text was not found in {path}. Read the file again and copy the text exactly, whitespace and line ends included.";
        }

        if (matches.Count > 1)
        {
            string lines = string.Join(", ", matches.Take(10).Select(m => LineOf(content, m).ToString(CultureInfo.InvariantCulture)));
            return $"Error: old_text occurs {matches.Count} times in {path} (at lines {lines}{(matches.Count > 10 ? ", ..." : "")}); include more surrounding text so that it occurs exactly once.";
        }

        string replacement = ReferenceEquals(search, old_text) ? new_text : new_text.Replace("\n", "\r\n", StringComparison.Ordinal);
        string updated = string.Concat(content.AsSpan(0, matches[0]), replacement, content.AsSpan(matches[0] + search.Length));
        await Files.WriteAllTextAsync(path, updated, cancellationToken).ConfigureAwait(false);
        ReportFileChanged(path);
        return $"Edited {path} at line {LineOf(content, matches[0])}.";
    }

    private async Task<string> DeleteFileAsync(
        [Description("The file's path relative to the workspace root.")] string path,
        CancellationToken cancellationToken = default)
    {
        if (!await Files.DeleteAsync(path, cancellationToken).ConfigureAwait(false))
        {
            return $"Error: there is no file at {path}.";
        }

        ReportFileChanged(path);
        return $"Deleted {path}.";
    }

    private async Task<string> SearchAsync(
        [Description("A .NET regular expression matched against each line.")] string pattern,
        [Description("A folder relative to the workspace root to search in; omit for the whole workspace.")] string? directory = null,
        [Description("Whether to ignore case.")] bool ignore_case = false,
        CancellationToken cancellationToken = default)
    {
        Regex regex;
        try
        {
            regex = new Regex(pattern, (ignore_case ? RegexOptions.IgnoreCase : RegexOptions.None) | RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException e)
        {
            return $"Error: the pattern is not a valid regular expression: {e.Message}";
        }

        var results = new StringBuilder();
        int found = 0;
        int skipped = 0;
        foreach (string file in Files.ListFiles(directory, recursive: true))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(Files.GetFullPath(file));
            if (info.Length > options.MaxFileBytes)
            {
                skipped++;
                continue;
            }

            string content = await Files.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            if (content.AsSpan(0, Math.Min(content.Length, 8000)).Contains('\0'))
            {
                continue;
            }

            int lineNumber = 0;
            foreach (string line in content.Split('\n'))
            {
                lineNumber++;
                try
                {
                    if (!regex.IsMatch(line))
                    {
                        continue;
                    }
                }
                catch (RegexMatchTimeoutException)
                {
                    return $"Error: the pattern took longer than {RegexTimeout.TotalSeconds:0} seconds on one line of {file}; simplify it (avoid nested quantifiers).";
                }

                found++;
                if (found <= options.MaxSearchResults)
                {
                    string text = line.TrimEnd('\r');
                    results.Append(CultureInfo.InvariantCulture, $"{file}:{lineNumber}: {(text.Length > 300 ? text[..300] + " [...]" : text)}\n");
                }
            }
        }

        if (found == 0)
        {
            results.Append("No matches.\n");
        }
        else if (found > options.MaxSearchResults)
        {
            results.Append(CultureInfo.InvariantCulture, $"[{found - options.MaxSearchResults:N0} more matches not shown; narrow the pattern or the folder]\n");
        }

        if (skipped > 0)
        {
            results.Append(CultureInfo.InvariantCulture, $"[{skipped} files larger than {options.MaxFileBytes:N0} bytes were not searched]\n");
        }

        return TextCap.HeadAndTail(results.ToString(), options.MaxToolResultChars, "narrow the pattern or the folder");
    }

    private async Task<string> RunCommandAsync(
        [Description("The command line, run by the shell in the workspace root, such as 'npm test'.")] string command,
        [Description("How long the command may run, in seconds; omit for the agent's limit.")] int? timeout_seconds = null,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(command))
        {
            return "Error: command is empty; give a command line such as 'npm test'.";
        }

        if (timeout_seconds is < 1)
        {
            return $"Error: timeout_seconds is {timeout_seconds}; give a number of seconds of at least 1, or omit it.";
        }

        if (_policy.Check(command) is { } refusal)
        {
            return "Error: " + refusal;
        }

        TimeSpan timeout = timeout_seconds is int seconds && TimeSpan.FromSeconds(seconds) < options.CommandTimeout
            ? TimeSpan.FromSeconds(seconds)
            : options.CommandTimeout;
        CommandResult result = await workspace.ExecuteAsync(
            new CommandRequest { Command = command, Timeout = timeout, MaxOutputChars = options.MaxCommandOutputChars },
            cancellationToken).ConfigureAwait(false);
        state.Progress.Report(AgentProgress.CommandRun(command, result.Succeeded, result.Duration));
        return Describe(result);
    }

    private string Finish([Description("What you did, in a few sentences, for the tasks that depend on yours.")] string summary)
    {
        state.Finish(summary);
        return "Noted: the checks run now.";
    }

    private async Task<string> MemoryGetAsync([Description("The key, such as discoveries/api-routes.")] string key, CancellationToken cancellationToken = default)
    {
        MemoryEntry? entry = await context.Memory!.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return entry is null ? $"No value under '{key}'." : Describe(entry);
    }

    private async Task<string> MemorySetAsync(
        [Description("The key, such as decisions/auth.")] string key,
        [Description("The value: any JSON value.")] JsonElement value,
        CancellationToken cancellationToken = default)
    {
        MemoryEntry entry = await context.Memory!.SetAsync(key, value, Author, cancellationToken).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture, $"Stored '{key}' (version {entry.Version}).");
    }

    private async Task<string> MemoryListAsync(
        [Description("The key prefix, such as discoveries/; omit for every key.")] string? prefix = null,
        CancellationToken cancellationToken = default)
    {
        IReadOnlyList<MemoryEntry> entries = await context.Memory!.ListAsync(prefix ?? "", cancellationToken).ConfigureAwait(false);
        if (entries.Count == 0)
        {
            return $"No entries{(string.IsNullOrEmpty(prefix) ? "" : $" under '{prefix}'")}.";
        }

        var text = new StringBuilder();
        foreach (MemoryEntry entry in entries)
        {
            text.Append(Describe(entry)).Append('\n');
        }

        return TextCap.HeadAndTail(text.ToString(), options.MaxToolResultChars, "list a narrower prefix");
    }

    private async Task<string> ReportDiscoveryAsync(
        [Description("A short name, such as api-routes or schema.")] string name,
        [Description("What you found or decided: any JSON value (an object, a list or a text).")] JsonElement discovery,
        CancellationToken cancellationToken = default)
    {
        await context.Memory!.SetAsync(SharedMemoryKeys.Discovery(name), discovery, Author, cancellationToken).ConfigureAwait(false);
        return $"Shared as {SharedMemoryKeys.Discovery(name)}.";
    }

    private async Task<string> ReportConflictAsync(
        [Description("A short name for the conflict.")] string name,
        [Description("What conflicts, in a sentence.")] string description,
        [Description("The files involved, relative to the repository root.")] string[]? files = null,
        [Description("The ids of the other tasks involved.")] string[]? tasks = null,
        CancellationToken cancellationToken = default)
    {
        var report = new ConflictReport(description, files ?? [], [context.Task.Id, .. (tasks ?? []).Where(t => t != context.Task.Id)]);
        await context.Memory!.ReportConflictAsync(name, report, Author, cancellationToken).ConfigureAwait(false);
        return $"Reported as {SharedMemoryKeys.Conflict(name)}.";
    }

    internal static string Describe(CommandResult result)
    {
        string status = result.TimedOut
            ? $"timed out after {result.Duration.TotalSeconds:0.#} s and was killed"
            : string.Create(CultureInfo.InvariantCulture, $"exit code {result.ExitCode}");
        return $"[{status}]\n{result.Output}";
    }

    /// <summary>Reports a file the model wrote, edited or deleted, by its workspace-relative path with <c>/</c>
    /// (the path the model gave may be <c>./a/../b.txt</c>).</summary>
    private void ReportFileChanged(string path) =>
        state.Progress.Report(AgentProgress.FileChanged(Files.Resolve(path, allowRoot: false).Relative));

    private static string Describe(MemoryEntry entry) =>
        string.Create(CultureInfo.InvariantCulture, $"{entry.Key} (version {entry.Version}, by {entry.Author}): {entry.Value.GetRawText()}");

    private string? CheckSize(string path)
    {
        var info = new FileInfo(Files.GetFullPath(path));
        if (info.Exists && info.Length > options.MaxFileBytes)
        {
            return string.Create(CultureInfo.InvariantCulture, $"Error: {path} is {info.Length:N0} bytes, more than the {options.MaxFileBytes:N0} the tools read; use search or run_command (head, tail, grep) instead.");
        }

        return null;
    }

    private static List<int> FindAll(string content, string text)
    {
        var found = new List<int>();
        for (int at = content.IndexOf(text, StringComparison.Ordinal); at >= 0; at = content.IndexOf(text, at + 1, StringComparison.Ordinal))
        {
            found.Add(at);
        }

        return found;
    }

    private static int LineOf(string content, int index) => content.AsSpan(0, index).Count('\n') + 1;
}
