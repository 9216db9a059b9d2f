// HostedAgents: ParallelAgents.Sdk in a Generic Host, offline, in a few seconds.
//
// The host registers an IChatClient and AddParallelAgents; the engine takes the chat client from the container, and
// the queue's hosted service runs the plans submitted to IAgentRunQueue. The chat client here is a script standing in
// for a model (ScriptedChatClient, from ParallelAgents.Sdk.Testing): each agent writes one file with the write_file
// tool, then calls finish. Swap it for a real client (OpenAI, Azure OpenAI, Ollama...) and nothing else changes.
//
// Settings also come from configuration: appsettings.json's "ParallelAgents" section or variables such as
// ParallelAgents__MaxParallelAgents=4, and the original demo's MAIN_BRANCH, AGENT_BRANCH_PREFIX, REPORTS_DIR...
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ParallelAgents.Sdk;

string repository = CreateDemoRepository();

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);

// As an application registers its model; UseFunctionInvocation is fine: the agents invoke their own tools.
builder.Services.AddChatClient(new ScriptedChatClient(ScriptedModel)).UseFunctionInvocation();
builder.Services.AddParallelAgents(o =>
{
    o.RepositoryPath = repository;
    o.MaxParallelAgents = 2;
});

using IHost host = builder.Build();
await host.StartAsync();

IAgentRunQueue queue = host.Services.GetRequiredService<IAgentRunQueue>();
QueuedRun run = queue.Submit(TaskPlan.Parse("""
    tasks:
      - id: database-schema
        priority: high
        instructions: Describe the schema for users and tasks in docs/database-schema.md.
      - id: backend-api
        dependencies: [database-schema]
        instructions: Describe the REST API for tasks in docs/backend-api.md.
      - id: frontend-components
        dependencies: [database-schema]
        priority: low
        instructions: Describe the React components in docs/frontend-components.md.
    """));
Console.WriteLine($"Submitted run {run.RunId} on {repository}");

RunResult result = await run.Completion;
foreach (TaskResult task in result.Tasks)
{
    Console.WriteLine($"  {task.TaskId,-20} {task.State,-10} {task.Summary ?? task.Error}");
}

foreach (MergeResult merge in result.Merges)
{
    Console.WriteLine($"  merged {merge.Branch} into main: {merge.Status}");
}

Console.WriteLine(result);
Console.WriteLine("main now has:");
Console.Write(Git(repository, "log", "--oneline", "main"));

// Stopping the host cancels a run in progress (each agent's work is committed on its branch) and reports any plan
// still queued as not run (RunNotStartedException).
await host.StopAsync();
return result.Succeeded ? 0 : 1;

// The stand-in model: write the task's file, then say it is done.
static ChatResponse ScriptedModel(IReadOnlyList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
{
    string system = messages.First(m => m.Role == ChatRole.System).Text;
    string taskId = Regex.Match(system, @"# Your task: (\S+)").Groups[1].Value;
    string path = $"docs/{taskId}.md";
    bool wrote = messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Any();
    FunctionCallContent call = wrote
        ? new(Guid.NewGuid().ToString("N"), "finish", new Dictionary<string, object?> { ["summary"] = $"wrote {path}" })
        : new(Guid.NewGuid().ToString("N"), "write_file", new Dictionary<string, object?>
        {
            ["path"] = path,
            ["content"] = $"# {taskId}\n\nWritten by a scripted agent of the HostedAgents sample.\n",
        });
    return new ChatResponse(new ChatMessage(ChatRole.Assistant, [call]));
}

// A fresh git repository with one commit on main, in a temporary folder.
static string CreateDemoRepository()
{
    string path = Path.Combine(Directory.CreateTempSubdirectory("parallel-agents-hosted-").FullName, "demo");
    Directory.CreateDirectory(path);
    Git(path, "init", "-q", "-b", "main");
    Git(path, "config", "user.name", "HostedAgents sample");
    Git(path, "config", "user.email", "sample@example.invalid");
    File.WriteAllText(Path.Combine(path, "README.md"), "# Demo\n");
    Git(path, "add", "-A");
    Git(path, "commit", "-q", "-m", "initial");
    return path;
}

static string Git(string folder, params string[] args)
{
    var start = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (string arg in args)
    {
        start.ArgumentList.Add(arg);
    }

    using Process process = Process.Start(start)!;
    Task<string> error = process.StandardError.ReadToEndAsync();
    string output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    return process.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error.Result}");
}
