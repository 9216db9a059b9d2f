using System.CommandLine;
using System.Globalization;

namespace ParallelAgents.Sdk.Cli;

/// <summary><c>run tasks.yaml</c>: runs a plan on a repository and merges the agents' branches into main.</summary>
internal static class RunCommand
{
    public static Command Create(CliOutput output)
    {
        var file = new Argument<string>("tasks") { Description = "The task file, such as config/tasks.yaml." };
        var options = new EngineOptions();
        var run = new Command("run", "Runs every task of a task file, each agent in its own workspace, and merges their branches into main. Exit code 0 when every task succeeded, 1 when not.")
        {
            file,
        };
        options.AddTo(run);
        run.SetAction(CliApp.Guarded(output, async (parse, cancellationToken) =>
        {
            string tasksPath = parse.GetValue(file)!;
            bool asJson = parse.GetValue(options.Json);
            TaskPlan plan = await TaskPlan.LoadAsync(tasksPath, cancellationToken).ConfigureAwait(false);
            string repository = Paths.Repository(parse.GetValue(options.Repository), tasksPath);
            await using EngineSession session = await options.BuildAsync(parse, output, repository, plan, cancellationToken).ConfigureAwait(false);

            TextWriter messages = asJson ? output.Error : output.Out;
            await messages.WriteLineAsync($"Running {plan.Tasks.Count} task(s) from {tasksPath} on {repository} (at most {session.Engine.MaxParallelAgents} at once, {session.Isolation} isolation).").ConfigureAwait(false);
            await messages.WriteLineAsync(session.AgentLine).ConfigureAwait(false);
            RunResult result = parse.GetValue(options.Live)
                ? await session.Engine.RunWithLiveTableAsync(plan, output.TableConsole(asJson), cancellationToken).ConfigureAwait(false)
                : await session.Engine.RunAsync(plan, cancellationToken).ConfigureAwait(false);
            return await ReportAsync(output, asJson, result, session.MemoryPath).ConfigureAwait(false);
        }));
        return run;
    }

    /// <summary>Writes a run's result (JSON, or a line per task) and returns the exit code it means.</summary>
    public static async Task<int> ReportAsync(CliOutput output, bool asJson, RunResult result, string memoryPath)
    {
        if (asJson)
        {
            await output.Out.WriteLineAsync(Json.Write(Json.Run(result))).ConfigureAwait(false);
        }
        else
        {
            await WriteSummaryAsync(output.Out, result, memoryPath).ConfigureAwait(false);
        }

        return result.WasCancelled ? ExitCodes.Cancelled : result.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
    }

    private static async Task WriteSummaryAsync(TextWriter output, RunResult result, string memoryPath)
    {
        await output.WriteLineAsync().ConfigureAwait(false);
        foreach (TaskResult task in result.Tasks)
        {
            MergeResult? merge = result.Merges.LastOrDefault(m => m.TaskId == task.TaskId);
            string merged = merge is null ? "" : $", merge: {Json.Name(merge.Status)}";
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {task.TaskId,-24} {task.State,-10} {task.Attempts.Count} attempt(s), {task.Duration.TotalSeconds:0.0}s{merged}")).ConfigureAwait(false);
            if (task.Error is not null)
            {
                await output.WriteLineAsync("      " + task.Error.ReplaceLineEndings("\n      ")).ConfigureAwait(false);
            }
        }

        if (result.MergeSummaryPath is not null)
        {
            await output.WriteLineAsync($"Merge summary: {result.MergeSummaryPath}").ConfigureAwait(false);
        }

        await output.WriteLineAsync($"Shared memory: {memoryPath}").ConfigureAwait(false);
        await output.WriteLineAsync(result.ToString()).ConfigureAwait(false);
        if (!result.WasCancelled && result.Merges.Any(m => m.Status is MergeStatus.Conflict or MergeStatus.VerifyFailed or MergeStatus.Rejected))
        {
            await output.WriteLineAsync($"Branches left off main: 'parallel-agents merge {result.RunId}' merges them (add --review to see each first).").ConfigureAwait(false);
        }

        if (result.WasCancelled)
        {
            await output.WriteLineAsync($"Cancelled: finish it with 'parallel-agents resume {result.RunId}'.").ConfigureAwait(false);
        }
    }
}
