// Extending: the three extension points of docs/extending.md, compiled and run together, offline.
//
// - CommandLineAgent (an IAgent) runs a command-line tool in each task's workspace, then the task's checks. Here the
//   "tool" writes the prompt it was given into PROMPT.md; a real one is `claude -p`, `codex exec` or `aider --message`.
// - DirectoryCopyIsolationProvider (an IIsolationProvider) gives each attempt its own copy of a folder.
// - OptInRerunResolver (an IConflictResolver) is compiled here; it needs a git repository with UseRepository to act.
//
// The classes are the documentation's code, word for word; ExtendingDocTests fails when the two differ.
using MyAgents;
using ParallelAgents.Sdk;

string source = Directory.CreateTempSubdirectory("extending-source-").FullName;
string work = Directory.CreateTempSubdirectory("extending-work-").FullName;
await File.WriteAllTextAsync(Path.Combine(source, "README.md"), "# The project the agents work on\n");

TaskPlan plan = TaskPlan.Parse("""
    tasks:
      - id: database-schema
        isolation: copy
        instructions: Design the schema for users and tasks.
        checks: [test -s PROMPT.md]
      - id: backend-api
        isolation: copy
        dependencies: [database-schema]
        instructions: Implement the REST API for tasks.
        checks: [grep -q database-schema PROMPT.md]
    """);

await using AgentEngine engine = new ParallelAgentsBuilder()
    .UseAgent(new CommandLineAgent(prompt => $"printf '%s\\n' {ShellQuote(prompt)} > PROMPT.md"))
    .UseIsolation(new DirectoryCopyIsolationProvider("copy", source, work))
    .Build();

RunResult result = await engine.RunAsync(plan);
foreach (TaskResult task in result.Tasks)
{
    Console.WriteLine($"{task.TaskId,-16} {task.State,-10} {task.Summary ?? task.Error}");
}

Console.WriteLine($"{result} - workspaces in {Path.Combine(work, result.RunId)}");
return result.Succeeded ? 0 : 1;

// One POSIX shell word: single quotes, with each ' written as '\''.
static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
