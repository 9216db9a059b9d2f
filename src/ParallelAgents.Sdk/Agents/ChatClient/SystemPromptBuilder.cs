using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>Fills <see cref="ChatClientAgentOptions.SystemPromptTemplate"/> for one attempt.</summary>
internal static class SystemPromptBuilder
{
    private const string None = "(none)";

    /// <summary>The most characters of one discovery's value put in the prompt; the agent reads the rest with memory_get.</summary>
    private const int MaxDiscoveryChars = 2_000;

    public static async ValueTask<string> BuildAsync(
        string template, AgentContext context, AgentTemplate? agentTemplate, IReadOnlyList<string> checks, CancellationToken cancellationToken)
    {
        AgentTask task = context.Task;
        string discoveries = None;
        string conflicts = None;
        if (context.Memory is { } memory)
        {
            discoveries = Discoveries(await memory.ListDiscoveriesAsync(cancellationToken).ConfigureAwait(false));
            conflicts = Conflicts(await memory.ListConflictsAsync(cancellationToken).ConfigureAwait(false), task.Id);
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["{task_id}"] = task.Id,
            ["{instructions}"] = task.Instructions.Trim(),
            ["{success_criteria}"] = List(task.SuccessCriteria),
            ["{checks}"] = List(checks),
            ["{dependencies}"] = Dependencies(context.Dependencies),
            ["{discoveries}"] = discoveries,
            ["{conflicts}"] = conflicts,
            ["{previous_error}"] = string.IsNullOrWhiteSpace(context.PreviousError) ? None : $"It failed: {context.PreviousError.Trim()}",
            ["{template_instructions}"] = agentTemplate?.Instructions ?? "",
            ["{template}"] = agentTemplate?.Name ?? None,
            ["{attempt}"] = context.Attempt.ToString(CultureInfo.InvariantCulture),
        };

        // One pass over the template, so that a value that happens to contain a placeholder is not filled again.
        var prompt = new StringBuilder(template.Length + 1024);
        int i = 0;
        while (i < template.Length)
        {
            int open = template.IndexOf('{', i);
            if (open < 0)
            {
                prompt.Append(template, i, template.Length - i);
                break;
            }

            prompt.Append(template, i, open - i);
            int close = template.IndexOf('}', open);
            if (close > open && values.TryGetValue(template[open..(close + 1)], out string? value))
            {
                prompt.Append(value);
                i = close + 1;
            }
            else
            {
                prompt.Append('{');
                i = open + 1;
            }
        }

        // A template without template instructions leaves a blank paragraph; collapse it.
        return prompt.ToString().Replace("\n\n\n\n", "\n\n", StringComparison.Ordinal).Trim();
    }

    private static string List(IReadOnlyList<string> items) =>
        items.Count == 0 ? None : string.Join('\n', items.Select(i => "- " + i));

    private static string Dependencies(IReadOnlyList<TaskResult> dependencies)
    {
        if (dependencies.Count == 0)
        {
            return None;
        }

        var text = new StringBuilder();
        foreach (TaskResult dependency in dependencies)
        {
            text.Append("- ").Append(dependency.TaskId).Append(": ")
                .Append(string.IsNullOrWhiteSpace(dependency.Summary) ? "(done; no summary)" : dependency.Summary.Trim()).Append('\n');
        }

        return text.ToString().TrimEnd();
    }

    private static string Discoveries(IReadOnlyList<MemoryEntry> entries)
    {
        if (entries.Count == 0)
        {
            return None;
        }

        var text = new StringBuilder();
        foreach (MemoryEntry entry in entries)
        {
            string value = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
            if (value.Length > MaxDiscoveryChars)
            {
                value = string.Create(CultureInfo.InvariantCulture, $"{value[..MaxDiscoveryChars]} [... {value.Length - MaxDiscoveryChars:N0} characters more: memory_get {entry.Key}]");
            }

            text.Append("- ").Append(entry.Key[SharedMemoryKeys.DiscoveriesPrefix.Length..]).Append(" (from ").Append(entry.Author).Append("): ").Append(value).Append('\n');
        }

        return text.ToString().TrimEnd();
    }

    private static string Conflicts(IReadOnlyList<MemoryEntry> entries, string taskId)
    {
        var text = new StringBuilder();
        foreach (MemoryEntry entry in entries)
        {
            string name = entry.Key[SharedMemoryKeys.ConflictsPrefix.Length..];
            ConflictReport? report = null;
            try
            {
                report = entry.GetValue<ConflictReport>(SharedMemoryJson.Options);
            }
            catch (JsonException)
            {
                // A conflict written by hand in another shape is still shown, as its JSON.
            }

            if (report is null)
            {
                text.Append("- ").Append(name).Append(": ").Append(entry.Value.GetRawText()).Append('\n');
                continue;
            }

            // Conflicts that name tasks are shown only to those tasks; a conflict that names none concerns everyone.
            if (report.Tasks is { Count: > 0 } tasks && !tasks.Contains(taskId, StringComparer.Ordinal))
            {
                continue;
            }

            text.Append("- ").Append(name).Append(report.Predicted ? " (predicted)" : "").Append(": ").Append(report.Description);
            if (report.Files is { Count: > 0 })
            {
                text.Append(" Files: ").Append(string.Join(", ", report.Files)).Append('.');
            }

            if (report.Tasks is { Count: > 0 })
            {
                text.Append(" Tasks: ").Append(string.Join(", ", report.Tasks)).Append('.');
            }

            text.Append('\n');
        }

        return text.Length == 0 ? None : text.ToString().TrimEnd();
    }
}
