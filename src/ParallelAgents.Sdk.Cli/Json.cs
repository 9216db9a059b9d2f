using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ParallelAgents.Sdk.Cli;

/// <summary>The JSON the commands write with <c>--json</c>: names in camelCase, enums as their names in camelCase.</summary>
internal static class Json
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Write(JsonNode node) => node.ToJsonString(Indented);

    public static string Name<T>(T value)
        where T : struct, Enum
    {
        string name = value.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    public static JsonObject Problem(TaskPlanProblem problem, string path) => new()
    {
        ["file"] = problem.Location?.Path ?? path,
        ["line"] = problem.Location?.Line,
        ["column"] = problem.Location?.Column,
        ["taskId"] = problem.TaskId,
        ["message"] = problem.Message,
    };

    public static JsonObject Task(AgentTask task) => new()
    {
        ["id"] = task.Id,
        ["dependencies"] = new JsonArray([.. task.Dependencies.Select(d => (JsonNode)JsonValue.Create(d))]),
        ["priority"] = Name(task.Priority),
        ["isolation"] = task.Isolation,
        ["agentCount"] = task.AgentCount,
    };

    public static JsonObject Run(RunResult result) => new()
    {
        ["runId"] = result.RunId,
        ["succeeded"] = result.Succeeded,
        ["wasCancelled"] = result.WasCancelled,
        ["startedAt"] = result.StartedAt.ToString("O", CultureInfo.InvariantCulture),
        ["completedAt"] = result.CompletedAt.ToString("O", CultureInfo.InvariantCulture),
        ["durationSeconds"] = Math.Round(result.Duration.TotalSeconds, 3),
        ["tasks"] = new JsonArray([.. result.Tasks.Select(t => (JsonNode)new JsonObject
        {
            ["id"] = t.TaskId,
            ["state"] = Name(t.State),
            ["attempts"] = t.Attempts.Count,
            ["durationSeconds"] = Math.Round(t.Duration.TotalSeconds, 3),
            ["error"] = t.Error,
            ["summary"] = t.Summary,
        })]),
        ["merges"] = new JsonArray([.. result.Merges.Select(m => (JsonNode)new JsonObject
        {
            ["taskId"] = m.TaskId,
            ["branch"] = m.Branch,
            ["status"] = Name(m.Status),
            ["reachedMain"] = m.ReachedMain,
            ["files"] = new JsonArray([.. m.Files.Select(f => (JsonNode)JsonValue.Create(f))]),
            ["resolver"] = m.Resolver,
            ["message"] = m.Message,
            ["reportPath"] = m.ReportPath,
        })]),
        ["mergeSummaryPath"] = result.MergeSummaryPath,
    };
}
