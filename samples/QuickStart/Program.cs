// QuickStart: the smallest complete run of ParallelAgents.Sdk, offline, in about a second.
//
// The agent here is a demonstration of the engine, not an AI: it writes one Markdown file per task into a temporary
// folder and reports what it wrote. It shows the engine's core: a validated task plan, dependency and priority order,
// a bounded pool of parallel workers, live events and a result for every task. AI coding agents over an IChatClient,
// git worktrees, shared memory and merging are shown by the TaskFlow sample (samples/TaskFlow).
//
// The region below is the README's example, word for word; ReadmeTests fails when the two differ.

// <readme-example>
using ParallelAgents.Sdk;

// Three tasks in the tasks.yaml format: the schema first, then the API and the UI side by side.
TaskPlan plan = TaskPlan.Parse("""
    tasks:
      - id: database-schema
        priority: high
        estimated_hours: 2
        instructions: Design the PostgreSQL schema for users and tasks.
      - id: backend-api
        dependencies: [database-schema]
        estimated_hours: 4
        instructions: Implement the REST API for tasks.
      - id: frontend-components
        dependencies: [database-schema]
        priority: low
        instructions: Build the React components for the task list.
    """);

// A demonstration agent, not an AI: it writes one file per task, naming what the task built on.
string outputDirectory = Directory.CreateTempSubdirectory("parallel-agents-quickstart-").FullName;
var agent = new DelegateAgent(async (context, cancellationToken) =>
{
    string path = Path.Combine(outputDirectory, $"{context.Task.Id}.md");
    string builtOn = string.Join(", ", context.Dependencies.Select(d => $"{d.TaskId} ({d.Summary})"));
    await File.WriteAllTextAsync(path, $"# {context.Task.Id}\n\n{context.Task.Instructions}\n\nBuilt on: {builtOn}\n", cancellationToken);
    return AgentOutcome.Success($"wrote {Path.GetFileName(path)}");
});

await using AgentEngine engine = new ParallelAgentsBuilder()
    .UseAgent(agent)
    .WithMaxParallelAgents(2)
    .Build();

// Subscribe before the run so that no event is missed. The stream lasts as long as the engine, not the run,
// so the watcher stops by itself at RunCompleted.
IAsyncEnumerable<AgentEvent> events = engine.WatchAsync();
Task watcher = Task.Run(async () =>
{
    await foreach (AgentEvent e in events)
    {
        Console.WriteLine($"#{e.Sequence,-3} {e.Kind,-14} {e.TaskId} {e.Message}".TrimEnd());
        if (e.Kind == AgentEventKind.RunCompleted)
        {
            break;
        }
    }
});

RunResult result = await engine.RunAsync(plan);
await watcher;

Console.WriteLine();
foreach (TaskResult task in result.Tasks)
{
    Console.WriteLine($"{task.TaskId,-20} {task.State,-10} {task.Summary ?? task.Error}");
}

Console.WriteLine($"{result} - files in {outputDirectory}");
return result.Succeeded ? 0 : 1;
// </readme-example>
