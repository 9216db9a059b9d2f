using System.CommandLine;
using System.Globalization;
using ParallelAgents.Sdk.Docker;

namespace ParallelAgents.Sdk.Cli;

/// <summary><c>run tasks.yaml</c>: runs a plan on a repository and merges the agents' branches into main.</summary>
internal static class RunCommand
{
    public const string DefaultImage = "ai-agent:latest";

    public static Command Create(CliOutput output)
    {
        var file = new Argument<string>("tasks") { Description = "The task file, such as config/tasks.yaml." };
        var repo = CommonOptions.Repository();
        var main = CommonOptions.MainBranch();
        var parallel = new Option<int>("--parallel", "-p") { Description = "The most agents at once.", DefaultValueFactory = _ => 4 };
        var isolation = new Option<string>("--isolation")
        {
            Description = "The isolation of tasks that name none: worktree (a git worktree each) or container (a worktree in a Docker container).",
            DefaultValueFactory = _ => IsolationNames.Worktree,
        };
        var image = new Option<string>("--image") { Description = "The image of container isolation (never pulled).", DefaultValueFactory = _ => DefaultImage };
        var agent = new Option<string>("--agent")
        {
            Description = "Who does the tasks: chat (a model: --replay, or OPENAI_API_KEY), command (the --command line), or auto (chat).",
            DefaultValueFactory = _ => "auto",
        };
        agent.AcceptOnlyFromAmong("auto", "chat", "command");
        var command = new Option<string?>("--command")
        {
            Description = $"With --agent command: the command line run in each task's workspace; placeholders such as {{instructions}} and {{prompt_file}} are quoted for the shell (default: {AgentSelection.DefaultCommand}).",
        };
        var replay = new Option<string?>("--replay") { Description = "Replay recorded conversations from this folder (<task-id>.json cassettes) instead of calling a model." };
        var model = new Option<string?>("--model") { Description = $"The model's name (default: AGENT_MODEL, else {AgentSelection.DefaultModel})." };
        var reports = new Option<string?>("--reports") { Description = "The folder for merge reports and transcripts (default: reports in the repository)." };
        var memory = CommonOptions.Memory();
        var live = new Option<bool>("--live") { Description = "Show a live table of the tasks (plain lines per event when the output is redirected)." };
        var json = CommonOptions.Json();
        var run = new Command("run", "Runs every task of a task file, each agent in its own workspace, and merges their branches into main. Exit code 0 when every task succeeded, 1 when not.")
        {
            file, repo, main, parallel, isolation, image, agent, command, replay, model, reports, memory, live, json,
        };
        run.SetAction(CliApp.Guarded(output, async (parse, cancellationToken) =>
        {
            string tasksPath = parse.GetValue(file)!;
            bool asJson = parse.GetValue(json);
            TaskPlan plan = await TaskPlan.LoadAsync(tasksPath, cancellationToken).ConfigureAwait(false);
            string repository = Paths.Repository(parse.GetValue(repo), tasksPath);
            string memoryPath = Paths.InRepository(repository, parse.GetValue(memory), Paths.DefaultMemory);
            string reportsPath = Paths.InRepository(repository, parse.GetValue(reports), "reports");
            string defaultIsolation = parse.GetValue(isolation)!.Trim().ToLowerInvariant();
            bool containers = defaultIsolation == IsolationNames.Container
                || plan.Tasks.Any(t => string.Equals(t.Isolation, IsolationNames.Container, StringComparison.OrdinalIgnoreCase));

            ParallelAgentsBuilder builder = new ParallelAgentsBuilder()
                .UseRepository(repository, parse.GetValue(main)!)
                .UseWorktreeIsolation()
                .WithMaxParallelAgents(parse.GetValue(parallel))
                .WithReportsDirectory(reportsPath)
                .Configure(o => o.DefaultIsolation = defaultIsolation);
            if (containers)
            {
                string containerImage = parse.GetValue(image)!;
                builder.UseContainerIsolation(o => o.Image = containerImage);
            }

            (string agentLine, IDisposable? owned) = AgentSelection.Apply(
                builder, parse.GetValue(agent)!, parse.GetValue(command), parse.GetValue(replay), parse.GetValue(model));
            using IDisposable? ownedClient = owned;
            await using FileSharedMemory shared = await FileSharedMemory.OpenAsync(new FileSharedMemoryOptions { Path = memoryPath }, cancellationToken).ConfigureAwait(false);
            builder.UseSharedMemory(shared);

            TextWriter messages = asJson ? output.Error : output.Out;
            await messages.WriteLineAsync($"Running {plan.Tasks.Count} task(s) from {tasksPath} on {repository} (at most {parse.GetValue(parallel)} at once, {defaultIsolation} isolation).").ConfigureAwait(false);
            await messages.WriteLineAsync(agentLine).ConfigureAwait(false);

            RunResult result;
            await using (AgentEngine engine = builder.Build())
            {
                result = parse.GetValue(live)
                    ? await engine.RunWithLiveTableAsync(plan, output.TableConsole(asJson), cancellationToken).ConfigureAwait(false)
                    : await engine.RunAsync(plan, cancellationToken).ConfigureAwait(false);
            }

            if (asJson)
            {
                await output.Out.WriteLineAsync(Json.Write(Json.Run(result))).ConfigureAwait(false);
            }
            else
            {
                await WriteSummaryAsync(output.Out, result, memoryPath).ConfigureAwait(false);
            }

            return result.WasCancelled ? ExitCodes.Cancelled : result.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
        }));
        return run;
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
    }
}
