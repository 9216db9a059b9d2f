using System.Globalization;
using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>Writes a <see cref="TaskPlan"/> as JSON and reads it back, every field a run needs, so that the run journal
/// alone is enough to resume a run.</summary>
internal static class PlanCodec
{
    public static void Write(Utf8JsonWriter json, TaskPlan plan)
    {
        json.WriteStartObject();
        if (plan.SourcePath is not null)
        {
            json.WriteString("source", plan.SourcePath);
        }

        WriteList(json, "setup", plan.Setup);
        WriteList(json, "verify", plan.Verify);
        json.WriteStartArray("tasks");
        foreach (AgentTask task in plan.Tasks)
        {
            json.WriteStartObject();
            json.WriteString("id", task.Id);
            json.WriteString("instructions", task.Instructions);
            json.WriteNumber("agentCount", task.AgentCount);
            if (task.Isolation is not null)
            {
                json.WriteString("isolation", task.Isolation);
            }

            WriteList(json, "dependencies", task.Dependencies);
            json.WriteString("priority", task.Priority.ToString());
            if (task.EstimatedHours is { } hours)
            {
                json.WriteNumber("estimatedHours", hours);
            }

            WriteList(json, "successCriteria", task.SuccessCriteria);
            WriteList(json, "checks", task.Checks);
            if (task.Timeout is { } timeout)
            {
                json.WriteNumber("timeoutTicks", timeout.Ticks);
            }

            if (task.MaxAttempts is { } maxAttempts)
            {
                json.WriteNumber("maxAttempts", maxAttempts);
            }

            if (task.Template is not null)
            {
                json.WriteString("template", task.Template);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <exception cref="JsonException">The element is not a plan this codec wrote.</exception>
    /// <exception cref="TaskPlanException">The plan no longer validates.</exception>
    public static TaskPlan Read(JsonElement plan)
    {
        var tasks = new List<AgentTask>();
        foreach (JsonElement task in Required(plan, "tasks").EnumerateArray())
        {
            tasks.Add(new AgentTask
            {
                Id = Required(task, "id").GetString()!,
                Instructions = Required(task, "instructions").GetString()!,
                AgentCount = task.TryGetProperty("agentCount", out JsonElement count) ? count.GetInt32() : 1,
                Isolation = Optional(task, "isolation")?.GetString(),
                Dependencies = ReadList(task, "dependencies"),
                Priority = Enum.Parse<TaskPriority>(Required(task, "priority").GetString()!),
                EstimatedHours = Optional(task, "estimatedHours")?.GetDouble(),
                SuccessCriteria = ReadList(task, "successCriteria"),
                Checks = ReadList(task, "checks"),
                Timeout = Optional(task, "timeoutTicks") is { } ticks ? TimeSpan.FromTicks(ticks.GetInt64()) : null,
                MaxAttempts = Optional(task, "maxAttempts")?.GetInt32(),
                Template = Optional(task, "template")?.GetString(),
            });
        }

        return TaskPlan.Restore(tasks, ReadList(plan, "setup"), ReadList(plan, "verify"), Optional(plan, "source")?.GetString());
    }

    private static void WriteList(Utf8JsonWriter json, string name, IReadOnlyList<string> items)
    {
        if (items.Count == 0)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (string item in items)
        {
            json.WriteStringValue(item);
        }

        json.WriteEndArray();
    }

    private static string[] ReadList(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement list) ? [.. list.EnumerateArray().Select(e => e.GetString()!)] : [];

    private static JsonElement Required(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value)
            ? value
            : throw new JsonException(string.Create(CultureInfo.InvariantCulture, $"the plan has no '{name}'"));

    private static JsonElement? Optional(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;
}
