using System.Globalization;
using ParallelAgents.Sdk;
using ParallelAgents.Sdk.Docker;

// usage: <repository> <image> <run-id> <workspaces> <network: none|internal>
// Makes the workspaces (each a container with a file written in it, committed), prints "ready" and the container
// ids, then waits to be killed.
if (args.Length != 5)
{
    Console.Error.WriteLine("usage: <repository> <image> <run-id> <workspaces> <network: none|internal>");
    return 2;
}

var provider = new ContainerIsolationProvider(new ContainerIsolationOptions
{
    Image = args[1],
    Network = args[4] == "internal" ? ContainerNetwork.Internal : ContainerNetwork.None,
    Worktree = new WorktreeIsolationOptions { RepositoryPath = args[0] },
});
int count = int.Parse(args[3], CultureInfo.InvariantCulture);
var ids = new List<string>();
for (int i = 0; i < count; i++)
{
    var task = new AgentTask { Id = $"killed-{i}", Instructions = "work until killed" };
    IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(new WorkspaceRequest { RunId = args[2], Task = task });
    CommandResult result = await workspace.ExecuteAsync(new CommandRequest { Command = $"echo 'work of {task.Id}' > work.txt" });
    if (!result.Succeeded)
    {
        Console.Error.WriteLine(result.Output);
        return 1;
    }

    await workspace.CommitAsync($"Work of {task.Id}");
    ids.Add(workspace.RootPath);
}

Console.WriteLine("ready " + string.Join(' ', ids));
await Task.Delay(Timeout.Infinite);
return 0;
