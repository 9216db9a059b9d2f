using System.Globalization;
using ParallelAgents.Sdk;

// usage: <repository> <run-id> <workspaces> <warm-pool-size>
// Makes the workspaces (each with one commit on its branch) and a warm pool, prints "ready", then waits to be killed.
// usage: run-plan <repository> <side-effects-log> <kill-point>: see KillableRun.
if (args.Length > 0 && args[0] == "run-plan")
{
    return await ParallelAgents.Sdk.Tests.WorktreeChild.KillableRun.MainAsync(args[1..]);
}

if (args.Length != 4)
{
    Console.Error.WriteLine("usage: <repository> <run-id> <workspaces> <warm-pool-size>");
    return 2;
}

var provider = new WorktreeIsolationProvider(new WorktreeIsolationOptions
{
    RepositoryPath = args[0],
    WarmPoolSize = int.Parse(args[3], CultureInfo.InvariantCulture),
});
await provider.WarmUpAsync();
int count = int.Parse(args[2], CultureInfo.InvariantCulture);
var workspaces = new List<IAgentWorkspace>();
for (int i = 0; i < count; i++)
{
    var task = new AgentTask { Id = $"killed-{i}", Instructions = "work until killed" };
    IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(new WorkspaceRequest { RunId = args[1], Task = task });
    await workspace.Files.WriteAllTextAsync("work.txt", $"work of {task.Id}\n");
    await workspace.CommitAsync($"Work of {task.Id}");
    workspaces.Add(workspace);
}

// The pool refills in the background after each hand-out; wait for it so that the test sees a stable state.
await provider.WarmUpAsync();
Console.WriteLine("ready " + string.Join(' ', workspaces.Select(w => w.RootPath)));
await Task.Delay(Timeout.Infinite);
return 0;
