using System.Globalization;

using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ParallelAgents.Sdk;

/// <summary>
/// Reads a <c>tasks.yaml</c> into tasks, keeping the position of every field so that every problem can be
/// reported with its line and column. Type and format problems are found here; the rules that do not depend
/// on YAML (ranges, duplicates, dependencies) are checked by <see cref="TaskPlanValidator"/> for code-built
/// plans and parsed plans alike.
/// </summary>
/// <remarks>
/// The file is read from YamlDotNet's event stream into a small tree of its own rather than with
/// <c>YamlStream</c>, because <c>YamlStream</c> stops at the first repeated key; here a repeated field is
/// one more problem among the others, so every problem is still reported at once.
/// </remarks>
internal sealed class TaskPlanParser
{
    internal static readonly string[] TaskFields =
    [
        "id", "agent_count", "isolation", "dependencies", "priority", "estimated_hours",
        "instructions", "success_criteria", "checks", "timeout", "max_attempts", "template",
    ];

    internal static readonly string[] PlanFields = ["tasks", "setup", "verify"];

    // Deeper nesting has no meaning in a task file; the limit keeps a hostile file from exhausting the stack.
    private const int MaxDepth = 64;

    private readonly string? _path;
    private readonly List<TaskPlanProblem> _problems = [];
    private List<string> _setup = [];
    private List<string> _verify = [];

    private TaskPlanParser(string? path) => _path = path;

    public static ParsedPlan Parse(string yaml, string? path)
    {
        var parser = new TaskPlanParser(path);
        List<AgentTask> tasks = parser.ParseDocument(yaml);
        return new ParsedPlan(tasks, parser._setup, parser._verify, parser._problems);
    }

    /// <summary>What the parser read: the tasks, the plan-level commands and every problem found.</summary>
    internal sealed record ParsedPlan(List<AgentTask> Tasks, List<string> Setup, List<string> Verify, List<TaskPlanProblem> Problems);

    private List<AgentTask> ParseDocument(string yaml)
    {
        var tasks = new List<AgentTask>();
        List<Node> documents;
        try
        {
            documents = TreeReader.ReadDocuments(yaml);
        }
        catch (YamlException ex)
        {
            _problems.Add(SyntaxProblem(yaml, ex));
            return tasks;
        }

        if (documents.Count == 0 || documents[0] is ScalarNode first && IsNull(first))
        {
            return tasks;
        }

        if (documents.Count > 1)
        {
            _problems.Add(new TaskPlanProblem(At(documents[1].Start), null,
                "the file has more than one YAML document; put every task under one 'tasks:' list."));
        }

        if (documents[0] is not MappingNode root)
        {
            _problems.Add(new TaskPlanProblem(At(documents[0].Start), null,
                "the plan must be a mapping with a 'tasks:' list at the top level."));
            return tasks;
        }

        Node? tasksNode = null;
        var planValues = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach ((Node keyNode, Node value) in root.Entries)
        {
            string? key = KeyOf(keyNode);
            if (key is "setup" or "verify")
            {
                if (!planValues.TryAdd(key, value))
                {
                    _problems.Add(new TaskPlanProblem(At(keyNode.Start), null,
                        $"'{key}' appears twice at the top level; keep one list."));
                }
            }
            else if (key != "tasks")
            {
                UnknownField(keyNode, key, PlanFields, "the plan", null);
            }
            else if (tasksNode is not null)
            {
                _problems.Add(new TaskPlanProblem(At(keyNode.Start), null,
                    "'tasks' appears twice at the top level; put every task under one 'tasks:' list."));
            }
            else
            {
                tasksNode = value;
            }
        }

        // Plan-level commands share the task fields' list rules; their problems name no task.
        var planLocations = new TaskFieldLocations();
        _setup = StringList(planValues, "setup", null, planLocations, null);
        _verify = StringList(planValues, "verify", null, planLocations, null);

        switch (tasksNode)
        {
            case null:
                _problems.Add(new TaskPlanProblem(At(root.Start), null, "the plan has no 'tasks:' list; add one with at least one task."));
                break;
            case ScalarNode scalar when IsNull(scalar):
                break;
            case SequenceNode sequence:
                foreach (Node item in sequence.Items)
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

    private TaskPlanProblem SyntaxProblem(string yaml, YamlException ex)
    {
        string reason = (ex.InnerException is YamlException inner ? inner.Message : ex.Message).TrimEnd('.');
        Mark start = ex.Start;

        // YamlDotNet reports a tab in the indentation at the start of the enclosing mapping; point at the tab.
        if (reason.Contains("tab", StringComparison.OrdinalIgnoreCase)
            && FindIndentationTab(yaml, (int)Math.Max(1, start.Line)) is { } tab)
        {
            return new TaskPlanProblem(new SourceLocation(_path, tab.Line, tab.Column), null,
                "YAML syntax error: a tab is used for indentation. Indent with spaces only.");
        }

        return new TaskPlanProblem(At(start), null,
            $"YAML syntax error: {reason}. Fix the YAML at this position (check indentation, colons and quotes).");
    }

    private static (int Line, int Column)? FindIndentationTab(string yaml, int fromLine)
    {
        string[] lines = yaml.Split('\n');
        for (int i = fromLine - 1; i < lines.Length; i++)
        {
            string line = lines[i];
            for (int c = 0; c < line.Length && line[c] is ' ' or '\t'; c++)
            {
                if (line[c] == '\t')
                {
                    return (i + 1, c + 1);
                }
            }
        }

        return null;
    }

    private AgentTask? ParseTask(Node node)
    {
        if (node is not MappingNode mapping)
        {
            _problems.Add(new TaskPlanProblem(At(node.Start), null,
                "each entry under 'tasks' must be a mapping of fields such as 'id:' and 'instructions:'."));
            return null;
        }

        var locations = new TaskFieldLocations();
        var values = new Dictionary<string, Node>(StringComparer.Ordinal);
        var repeated = new List<(Node Key, string Name)>();
        foreach ((Node keyNode, Node value) in mapping.Entries)
        {
            string? key = KeyOf(keyNode);
            if (key is null || Array.IndexOf(TaskFields, key) < 0)
            {
                continue;
            }

            if (!values.TryAdd(key, value))
            {
                repeated.Add((keyNode, key));
                continue;
            }

            // An empty plain value has no text of its own to point at; its key does.
            locations.Fields[key] = At(value is ScalarNode { Value: "", Style: ScalarStyle.Plain } ? keyNode.Start : value.Start);
        }

        string? id = null;
        if (values.TryGetValue("id", out Node? idNode))
        {
            if (idNode is ScalarNode idScalar)
            {
                id = IsNull(idScalar) ? null : idScalar.Value;
            }
            else
            {
                locations.Invalid.Add("id");
                _problems.Add(new TaskPlanProblem(At(idNode.Start), null,
                    $"'id' must be text such as 'backend-api', not a {Describe(idNode)}."));
            }
        }

        string owner = id is null ? "a task" : $"task '{id}'";

        // Unknown and repeated fields are reported after the id is known, so the message can name the task.
        foreach ((Node keyNode, _) in mapping.Entries)
        {
            string? key = KeyOf(keyNode);
            if (key is null || Array.IndexOf(TaskFields, key) < 0)
            {
                UnknownField(keyNode, key, TaskFields, owner, id);
            }
        }

        foreach ((Node keyNode, string name) in repeated)
        {
            _problems.Add(new TaskPlanProblem(At(keyNode.Start), id,
                $"field '{name}' appears twice in {owner}; keep one."));
        }

        return new AgentTask
        {
            Id = id ?? string.Empty,
            Instructions = String(values, "instructions", id, locations) ?? string.Empty,
            AgentCount = Integer(values, "agent_count", id, locations) ?? 1,
            Isolation = String(values, "isolation", id, locations),
            Dependencies = StringList(values, "dependencies", id, locations, locations.DependencyItems),
            Priority = Priority(values, id, locations),
            EstimatedHours = Number(values, "estimated_hours", id, locations),
            SuccessCriteria = StringList(values, "success_criteria", id, locations, null),
            Checks = StringList(values, "checks", id, locations, null),
            Timeout = Duration(values, id, locations),
            MaxAttempts = Integer(values, "max_attempts", id, locations),
            Template = String(values, "template", id, locations),
            Location = At(mapping.Start),
            FieldLocations = locations,
        };
    }

    private void UnknownField(Node keyNode, string? key, string[] known, string owner, string? taskId)
    {
        if (key is null)
        {
            _problems.Add(new TaskPlanProblem(At(keyNode.Start), taskId, $"field names in {owner} must be plain text, not a {Describe(keyNode)}."));
            return;
        }

        string? nearest = Levenshtein.Nearest(key, known);
        string hint = nearest is not null
            ? $"did you mean '{nearest}'?"
            : $"known fields are {string.Join(", ", known.Select(k => $"'{k}'"))}.";
        _problems.Add(new TaskPlanProblem(At(keyNode.Start), taskId, $"unknown field '{key}' in {owner}; {hint}"));
    }

    private string? String(Dictionary<string, Node> values, string field, string? id, TaskFieldLocations locations)
    {
        if (!values.TryGetValue(field, out Node? node))
        {
            return null;
        }

        if (node is ScalarNode scalar)
        {
            return IsNull(scalar) ? null : scalar.Value;
        }

        Invalid(locations, field, node, id, $"'{field}' must be text, not a {Describe(node)}.");
        return null;
    }

    private int? Integer(Dictionary<string, Node> values, string field, string? id, TaskFieldLocations locations)
    {
        string? text = String(values, field, id, locations);
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
        {
            return value;
        }

        Invalid(locations, field, values[field], id, $"'{field}' must be a whole number such as 1 or 3, not '{text}'.");
        return null;
    }

    private double? Number(Dictionary<string, Node> values, string field, string? id, TaskFieldLocations locations)
    {
        string? text = String(values, field, id, locations);
        if (text is null)
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
        {
            return value;
        }

        Invalid(locations, field, values[field], id, $"'{field}' must be a number such as 4 or 1.5, not '{text}'.");
        return null;
    }

    private TaskPriority Priority(Dictionary<string, Node> values, string? id, TaskFieldLocations locations)
    {
        string? text = String(values, "priority", id, locations);
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
                Invalid(locations, "priority", values["priority"], id, $"invalid priority '{text}'{hint}; use high, medium or low.");
                return TaskPriority.Medium;
        }
    }

    private TimeSpan? Duration(Dictionary<string, Node> values, string? id, TaskFieldLocations locations)
    {
        string? text = String(values, "timeout", id, locations);
        if (text is null)
        {
            return null;
        }

        if (DurationParser.TryParse(text, out TimeSpan value))
        {
            return value;
        }

        Invalid(locations, "timeout", values["timeout"], id,
            $"invalid timeout '{text}'; write a duration with its unit, such as 90s, 30m, 1h30m or 01:30:00.");
        return null;
    }

    private List<string> StringList(Dictionary<string, Node> values, string field, string? id, TaskFieldLocations locations, List<SourceLocation>? itemLocations)
    {
        var result = new List<string>();
        if (!values.TryGetValue(field, out Node? node) || node is ScalarNode nullNode && IsNull(nullNode))
        {
            return result;
        }

        if (node is not SequenceNode sequence)
        {
            Invalid(locations, field, node, id,
                $"'{field}' must be a list, such as [a, b] or one '- item' per line, not a {Describe(node)}.");
            return result;
        }

        foreach (Node item in sequence.Items)
        {
            if (item is ScalarNode scalar && !IsNull(scalar))
            {
                result.Add(scalar.Value);
                itemLocations?.Add(At(item.Start));
            }
            else
            {
                _problems.Add(new TaskPlanProblem(At(item.Start), id,
                    item is ScalarNode
                        ? $"an item of '{field}' is empty; write text there or remove the '-'."
                        : $"each item of '{field}' must be text, not a {Describe(item)}."));
            }
        }

        return result;
    }

    /// <summary>Reports a field whose value is unusable, and remembers it so the validator does not report it again as missing.</summary>
    private void Invalid(TaskFieldLocations locations, string field, Node node, string? id, string message)
    {
        locations.Invalid.Add(field);
        _problems.Add(new TaskPlanProblem(At(node.Start), id, message));
    }

    private static string? KeyOf(Node keyNode) => keyNode is ScalarNode { Value: var key } ? key : null;

    private static bool IsNull(ScalarNode scalar) =>
        scalar.Style == ScalarStyle.Plain && scalar.Value is "" or "~" or "null" or "Null" or "NULL";

    private static string Describe(Node node) => node switch
    {
        MappingNode => "mapping",
        SequenceNode => "list",
        _ => "value",
    };

    private SourceLocation At(Mark mark) => new(_path, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    private abstract class Node(Mark start)
    {
        public Mark Start { get; } = start;
    }

    private sealed class ScalarNode(Mark start, string value, ScalarStyle style) : Node(start)
    {
        public string Value { get; } = value;

        public ScalarStyle Style { get; } = style;
    }

    private sealed class SequenceNode(Mark start) : Node(start)
    {
        public List<Node> Items { get; } = [];
    }

    private sealed class MappingNode(Mark start) : Node(start)
    {
        // A list, not a dictionary: a repeated key is reported as a problem rather than ending the parse.
        public List<(Node Key, Node Value)> Entries { get; } = [];
    }

    /// <summary>Builds the tree of each document from YamlDotNet's parsing events.</summary>
    private sealed class TreeReader
    {
        private readonly Parser _parser;
        private readonly Dictionary<string, Node> _anchors = new(StringComparer.Ordinal);

        // The collections being read, innermost on top, so that a failure can point at an unclosed '[' or '{'.
        private readonly Stack<NodeEvent> _open = new();
        private Mark _last = Mark.Empty;

        private TreeReader(string yaml) => _parser = new Parser(new StringReader(yaml));

        public static List<Node> ReadDocuments(string yaml)
        {
            var reader = new TreeReader(yaml);
            var documents = new List<Node>();
            reader.Next();
            while (reader._parser.Current is not StreamEnd and not null)
            {
                if (reader._parser.Current is StreamStart or DocumentStart or DocumentEnd)
                {
                    reader.Next();
                    continue;
                }

                reader._anchors.Clear();
                documents.Add(reader.ReadNode(0));
            }

            return documents;
        }

        private void Next()
        {
            try
            {
                if (!_parser.MoveNext())
                {
                    throw new YamlException(_last, _last, "the YAML ends unexpectedly");
                }
            }
            catch (InvalidOperationException ex)
            {
                // YamlDotNet's scanner fails this way, rather than with a YamlException, on some unclosed flow
                // collections (a '[' followed by block content); report it as the syntax error it is.
                NodeEvent? flow = _open.FirstOrDefault(e => e is SequenceStart { Style: SequenceStyle.Flow } or MappingStart { Style: MappingStyle.Flow });
                throw flow is not null
                    ? new YamlException(flow.Start, flow.End, $"the '{(flow is SequenceStart ? '[' : '{')}' here is never closed", ex)
                    : new YamlException(_last, _last, "the YAML cannot be read past this point; look for an unclosed '[' or '{' or a misplaced '-'", ex);
            }

            _last = _parser.Current?.End ?? _last;
        }

        private Node ReadNode(int depth)
        {
            ParsingEvent current = _parser.Current!;
            if (depth > MaxDepth)
            {
                throw new YamlException(current.Start, current.End, $"the YAML is nested more than {MaxDepth} levels deep");
            }

            Node node;
            switch (current)
            {
                case AnchorAlias alias:
                    Next();
                    return _anchors.TryGetValue(alias.Value.Value, out Node? target)
                        ? target
                        : throw new YamlException(alias.Start, alias.End, $"the alias '*{alias.Value.Value}' refers to no anchor '&{alias.Value.Value}' defined before it");
                case Scalar scalar:
                    Next();
                    node = new ScalarNode(scalar.Start, scalar.Value, scalar.Style);
                    break;
                case SequenceStart sequenceStart:
                    var sequence = new SequenceNode(current.Start);
                    _open.Push(sequenceStart);
                    Next();
                    while (_parser.Current is not SequenceEnd)
                    {
                        sequence.Items.Add(ReadNode(depth + 1));
                    }

                    _open.Pop();
                    Next();
                    node = sequence;
                    break;
                case MappingStart mappingStart:
                    var mapping = new MappingNode(current.Start);
                    _open.Push(mappingStart);
                    Next();
                    while (_parser.Current is not MappingEnd)
                    {
                        Node key = ReadNode(depth + 1);
                        Node value = ReadNode(depth + 1);
                        mapping.Entries.Add((key, value));
                    }

                    _open.Pop();
                    Next();
                    node = mapping;
                    break;
                default:
                    throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
            }

            if (current is NodeEvent { Anchor.IsEmpty: false } withAnchor)
            {
                _anchors[withAnchor.Anchor.Value] = node;
            }

            return node;
        }
    }
}
