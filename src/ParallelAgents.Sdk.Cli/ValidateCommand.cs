using System.CommandLine;
using System.Text.Json.Nodes;

namespace ParallelAgents.Sdk.Cli;

/// <summary><c>validate tasks.yaml</c>: every problem of a task file with its file, line and column (exit 2), or the
/// plan's tasks in the order they can run (exit 0).</summary>
internal static class ValidateCommand
{
    public static Command Create(CliOutput output)
    {
        var file = new Argument<string>("tasks") { Description = "The task file, such as config/tasks.yaml." };
        var json = CommonOptions.Json();
        var command = new Command("validate", "Checks a task file and lists every problem with its file:line:column; exit code 2 when there is one.")
        {
            file,
            json,
        };
        command.SetAction(CliApp.Guarded(output, async (parse, cancellationToken) =>
        {
            string path = parse.GetValue(file)!;
            bool asJson = parse.GetValue(json);
            TaskPlan plan;
            try
            {
                plan = await TaskPlan.LoadAsync(path, cancellationToken).ConfigureAwait(false);
            }
            catch (TaskPlanException e)
            {
                if (asJson)
                {
                    await output.Out.WriteLineAsync(Json.Write(new JsonObject
                    {
                        ["file"] = path,
                        ["valid"] = false,
                        ["problems"] = new JsonArray([.. e.Problems.Select(p => (JsonNode)Json.Problem(p, path))]),
                    })).ConfigureAwait(false);
                }
                else
                {
                    foreach (string line in ProblemLines(e, path))
                    {
                        await output.Out.WriteLineAsync(line).ConfigureAwait(false);
                    }

                    await output.Out.WriteLineAsync($"{path}: {e.Problems.Count} problem(s); fix them and run validate again.").ConfigureAwait(false);
                }

                return ExitCodes.InvalidInput;
            }

            if (asJson)
            {
                await output.Out.WriteLineAsync(Json.Write(new JsonObject
                {
                    ["file"] = path,
                    ["valid"] = true,
                    ["tasks"] = new JsonArray([.. plan.GetTopologicalOrder().Select(t => (JsonNode)Json.Task(t))]),
                })).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            await output.Out.WriteLineAsync($"{path}: valid, {plan.Tasks.Count} task(s). In the order they can run:").ConfigureAwait(false);
            foreach (AgentTask task in plan.GetTopologicalOrder())
            {
                string after = task.Dependencies.Count == 0 ? "" : $", after {string.Join(", ", task.Dependencies)}";
                await output.Out.WriteLineAsync($"  {task.Id} ({task.Priority.ToString().ToLowerInvariant()} priority, {task.Isolation ?? "default"} isolation{after})").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>One line per problem, as compilers write them: <c>file:line:column: error: message</c>.</summary>
    public static IEnumerable<string> ProblemLines(TaskPlanException exception, string? path)
    {
        if (exception.Problems.Count == 0)
        {
            yield return $"{path ?? "tasks"}: error: {exception.Message}";
            yield break;
        }

        foreach (TaskPlanProblem problem in exception.Problems)
        {
            string file = problem.Location?.Path ?? path ?? "tasks";
            string where = problem.Location is { } at ? $"{file}:{at.Line}:{at.Column}" : file;
            yield return $"{where}: error: {(problem.TaskId is null ? "" : $"task '{problem.TaskId}': ")}{problem.Message}";
        }
    }
}
