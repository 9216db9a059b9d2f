using System.Globalization;

using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ParallelAgents.Sdk;

/// <summary>
/// Reads a <c>tasks.yaml</c> into tasks, keeping the position of every field so that every problem can be
/// reported with its line and column. Type and format problems are found here; the rules that do not depend
/// on YAML (ranges, duplicates, dependencies) are checked by <see cref="TaskPlanValidator"/> for code-built
/// plans and parsed plans alike.
/// </summary>
internal sealed class TaskPlanParser
{
    internal static readonly string[] TaskFields =
    [
        "id", "agent_count", "isolation", "dependencies", "priority", "estimated_hours",
        "instructions", "success_criteria", "checks", "timeout", "max_attempts",
    ];

    internal static readonly string[] PlanFields = ["tasks"];

    private readonly string? _path;
    private readonly List<TaskPlanProblem> _problems = [];

    private TaskPlanParser(string? path) => _path = path;

    public static (List<AgentTask> Tasks, List<TaskPlanProblem> Problems) Parse(string yaml, string? path)
    {
        var parser = new TaskPlanParser(path);
        List<AgentTask> tasks = parser.ParseDocument(yaml);
        return (tasks, parser._problems);
    }

    private List<AgentTask> ParseDocument(string yaml)
    {
        var tasks = new List<AgentTask>();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            string reason = ex.InnerException is YamlException inner ? inner.Message : ex.Message;
            _problems.Add(new TaskPlanProblem(At(ex.Start), null,
                $"YAML syntax error: {reason}. Fix the YAML at this position (check indentation, colons and quotes)."));
            return tasks;
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            return tasks;
        }

        if (stream.Documents.Count > 1)
        {
            _problems.Add(new TaskPlanProblem(At(stream.Documents[1].RootNode.Start), null,
                "the file has more than one YAML document; put every task under one 'tasks:' list."));
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            _problems.Add(new TaskPlanProblem(At(stream.Documents[0].RootNode.Start), null,
                "the plan must be a mapping with a 'tasks:' list at the top level."));
            return tasks;
        }

        YamlNode? tasksNode = null;
        foreach ((YamlNode keyNode, YamlNode value) in root.Children)
        {
            string? key = KeyOf(keyNode);
            if (key == "tasks")
            {
                tasksNode = value;
            }
            else
            {
                UnknownField(keyNode, key, PlanFields, "the plan", null);
            }
        }

        switch (tasksNode)
        {
            case null:
                _problems.Add(new TaskPlanProblem(At(root.Start), null, "the plan has no 'tasks:' list; add one with at least one task."));
                break;
            case YamlScalarNode scalar when IsNull(scalar):
                break;
            case YamlSequenceNode sequence:
                foreach (YamlNode item in sequence.Children)
                {
                    AgentTask? task = ParseTask(item);
                    if (task is not null)
                    {
                        tasks.Add(task);
                    }
                }

                break;
            default:
                _problems.Add(new TaskPlanProblem(At(tasksNode.Start), null,
                    "'tasks' must be a list of tasks, each starting with '- id: ...'."));
                break;
        }

        return tasks;
    }

    private AgentTask? ParseTask(YamlNode node)
    {
        if (node is not YamlMappingNode mapping)
        {
            _problems.Add(new TaskPlanProblem(At(node.Start), null,
                "each entry under 'tasks' must be a mapping of fields such as 'id:' and 'instructions:'."));
            return null;
        }

        var locations = new TaskFieldLocations();
        var values = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        string? id = null;
        foreach ((YamlNode keyNode, YamlNode value) in mapping.Children)
        {
            string? key = KeyOf(keyNode);
            if (key is not null && Array.IndexOf(TaskFields, key) >= 0)
            {
                if (values.ContainsKey(key))
                {
                    _problems.Add(new TaskPlanProblem(At(keyNode.Start), null, $"field '{key}' appears twice in one task; keep one."));
                    continue;
                }

                values[key] = value;
                locations.Fields[key] = At(value.Start);
                if (key == "id" && value is YamlScalarNode { Value: { } idValue } && !IsNull((YamlScalarNode)value))
                {
                    id = idValue;
                }
            }
        }

        // Unknown fields are reported after the id is known, so the message can name the task.
        foreach ((YamlNode keyNode, _) in mapping.Children)
        {
            string? key = KeyOf(keyNode);
            if (key is null || Array.IndexOf(TaskFields, key) < 0)
            {
                UnknownField(keyNode, key, TaskFields, id is null ? "a task" : $"task '{id}'", id);
            }
        }

        if (values.TryGetValue("id", out YamlNode? idNode) && id is null)
        {
            _problems.Add(new TaskPlanProblem(At(idNode.Start), null, "'id' must be text such as 'backend-api'."));
        }

        return new AgentTask
        {
            Id = id ?? string.Empty,
            Instructions = String(values, "instructions", id) ?? string.Empty,
            AgentCount = Integer(values, "agent_count", id) ?? 1,
            Isolation = String(values, "isolation", id),
            Dependencies = StringList(values, "dependencies", id, locations.DependencyItems),
            Priority = Priority(values, id),
            EstimatedHours = Number(values, "estimated_hours", id),
            SuccessCriteria = StringList(values, "success_criteria", id, null),
            Checks = StringList(values, "checks", id, null),
            Timeout = Duration(values, id),
            MaxAttempts = Integer(values, "max_attempts", id),
            Location = At(mapping.Start),
            FieldLocations = locations,
        };
    }

    private void UnknownField(YamlNode keyNode, string? key, string[] known, string owner, string? taskId)
    {
        if (key is null)
        {
            _problems.Add(new TaskPlanProblem(At(keyNode.Start), taskId, $"field names in {owner} must be plain text."));
            return;
        }

        string? nearest = Levenshtein.Nearest(key, known);
        string hint = nearest is not null
            ? $"did you mean '{nearest}'?"
            : $"known fields are {string.Join(", ", known.Select(k => $"'{k}'"))}.";
        _problems.Add(new TaskPlanProblem(At(keyNode.Start), taskId, $"unknown field '{key}' in {owner}; {hint}"));
    }

    private string? String(Dictionary<string, YamlNode> values, string field, string? id)
    {
        if (!values.TryGetValue(field, out YamlNode? node))
        {
            return null;
        }

        if (node is YamlScalarNode scalar)
        {
            return IsNull(scalar) ? null : scalar.Value;
        }

        _problems.Add(new TaskPlanProblem(At(node.Start), id, $"'{field}' must be text, not a {Describe(node)}."));
        return null;
    }

    private int? Integer(Dictionary<string, YamlNode> values, string field, string? id)
    {
        string? text = String(values, field, id);
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
        {
            return value;
        }

        _problems.Add(new TaskPlanProblem(At(values[field].Start), id, $"'{field}' must be a whole number, not '{text}'."));
        return null;
    }

    private double? Number(Dictionary<string, YamlNode> values, string field, string? id)
    {
        string? text = String(values, field, id);
        if (text is null)
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
        {
            return value;
        }

        _problems.Add(new TaskPlanProblem(At(values[field].Start), id, $"'{field}' must be a number such as 4 or 1.5, not '{text}'."));
        return null;
    }

    private TaskPriority Priority(Dictionary<string, YamlNode> values, string? id)
    {
        string? text = String(values, "priority", id);
        switch (text?.Trim().ToLowerInvariant())
        {
            case null:
            case "medium":
                return TaskPriority.Medium;
            case "high":
                return TaskPriority.High;
            case "low":
                return TaskPriority.Low;
            default:
                string? nearest = Levenshtein.Nearest(text!.Trim().ToLowerInvariant(), ["high", "medium", "low"]);
                string hint = nearest is null ? string.Empty : $" (did you mean '{nearest}'?)";
                _problems.Add(new TaskPlanProblem(At(values["priority"].Start), id,
                    $"invalid priority '{text}'{hint}; use high, medium or low."));
                return TaskPriority.Medium;
        }
    }

    private TimeSpan? Duration(Dictionary<string, YamlNode> values, string? id)
    {
        string? text = String(values, "timeout", id);
        if (text is null)
        {
            return null;
        }

        if (DurationParser.TryParse(text, out TimeSpan value))
        {
            return value;
        }

        _problems.Add(new TaskPlanProblem(At(values["timeout"].Start), id,
            $"invalid timeout '{text}'; write a duration with its unit, such as 90s, 30m, 1h30m or 01:30:00."));
        return null;
    }

    private List<string> StringList(Dictionary<string, YamlNode> values, string field, string? id, List<SourceLocation>? itemLocations)
    {
        var result = new List<string>();
        if (!values.TryGetValue(field, out YamlNode? node) || node is YamlScalarNode { } nullNode && IsNull(nullNode))
        {
            return result;
        }

        if (node is not YamlSequenceNode sequence)
        {
            _problems.Add(new TaskPlanProblem(At(node.Start), id,
                $"'{field}' must be a list, such as [a, b] or one '- item' per line, not a {Describe(node)}."));
            return result;
        }

        foreach (YamlNode item in sequence.Children)
        {
            if (item is YamlScalarNode scalar && !IsNull(scalar) && scalar.Value is { } value)
            {
                result.Add(value);
                itemLocations?.Add(At(item.Start));
            }
            else
            {
                _problems.Add(new TaskPlanProblem(At(item.Start), id, $"each item of '{field}' must be text, not a {Describe(item)}."));
            }
        }

        return result;
    }

    private static string? KeyOf(YamlNode keyNode) => keyNode is YamlScalarNode { Value: { } key } ? key : null;

    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "list",
        _ => "value",
    };

    private SourceLocation At(Mark mark) => new(_path, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));
}
