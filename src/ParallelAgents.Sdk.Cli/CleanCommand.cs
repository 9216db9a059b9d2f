using System.CommandLine;
using System.Text.Json.Nodes;
using ParallelAgents.Sdk.Docker;

namespace ParallelAgents.Sdk.Cli;

/// <summary><c>clean</c>: removes what runs that are no longer alive left behind: their worktrees and, when Docker
/// answers, their containers and networks. What a running process made is never touched; branches are kept.</summary>
internal static class CleanCommand
{
    public static Command Create(CliOutput output)
    {
        var repo = CommonOptions.Repository();
        var main = CommonOptions.MainBranch();
        var worktrees = new Option<string?>("--worktrees") { Description = "The folder the worktrees are in (default: <repository>.worktrees beside the repository)." };
        var docker = new Option<string?>("--docker") { Description = "The Docker endpoint (default: DOCKER_HOST, else unix:///var/run/docker.sock)." };
        var json = CommonOptions.Json();
        var clean = new Command("clean", "Removes the worktrees and containers of runs that are no longer alive (killed, or ended without cleaning up). Branches are kept.")
        {
            repo, main, worktrees, docker, json,
        };
        clean.SetAction(CliApp.Guarded(output, async (parse, cancellationToken) =>
        {
            string repository = Paths.Repository(parse.GetValue(repo));
            bool asJson = parse.GetValue(json);
            var worktreeOptions = new WorktreeIsolationOptions
            {
                RepositoryPath = repository,
                BaseBranch = parse.GetValue(main)!,
                WorktreesDirectory = parse.GetValue(worktrees) is { } folder ? Path.GetFullPath(folder) : null,
            };
            IReadOnlyList<SweptWorktree> sweptWorktrees;
            await using (var provider = new WorktreeIsolationProvider(worktreeOptions))
            {
                sweptWorktrees = await provider.SweepAsync(cancellationToken).ConfigureAwait(false);
            }

            IReadOnlyList<SweptContainer> sweptContainers = [];
            string? dockerProblem = null;
            string endpoint;
            await using (var containers = new ContainerIsolationProvider(new ContainerIsolationOptions
            {
                // The sweeper lists and removes by label; it never makes a container, so the image is not used.
                Image = EngineOptions.DefaultImage,
                Endpoint = parse.GetValue(docker),
                Worktree = worktreeOptions,
            }))
            {
                endpoint = containers.Endpoint;
                try
                {
                    sweptContainers = await containers.SweepAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DockerUnavailableException e)
                {
                    dockerProblem = e.Message;
                }
            }

            if (asJson)
            {
                await output.Out.WriteLineAsync(Json.Write(new JsonObject
                {
                    ["repository"] = repository,
                    ["worktrees"] = new JsonArray([.. sweptWorktrees.Select(w => (JsonNode)new JsonObject
                    {
                        ["path"] = w.Path,
                        ["runId"] = w.RunId,
                        ["branch"] = w.Branch,
                        ["reason"] = w.Reason,
                    })]),
                    ["docker"] = new JsonObject
                    {
                        ["endpoint"] = endpoint,
                        ["answered"] = dockerProblem is null,
                        ["problem"] = dockerProblem,
                    },
                    ["containers"] = new JsonArray([.. sweptContainers.Select(c => (JsonNode)new JsonObject
                    {
                        ["name"] = c.Name,
                        ["isNetwork"] = c.IsNetwork,
                        ["runId"] = c.RunId,
                        ["taskId"] = c.TaskId,
                        ["reason"] = c.Reason,
                    })]),
                })).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            await output.Out.WriteLineAsync($"Worktrees of {repository}: {sweptWorktrees.Count} removed.").ConfigureAwait(false);
            foreach (SweptWorktree worktree in sweptWorktrees)
            {
                await output.Out.WriteLineAsync("  " + worktree).ConfigureAwait(false);
            }

            if (dockerProblem is not null)
            {
                await output.Out.WriteLineAsync($"Containers: not swept, Docker did not answer ({dockerProblem}).").ConfigureAwait(false);
            }
            else
            {
                await output.Out.WriteLineAsync($"Containers at {endpoint}: {sweptContainers.Count} removed.").ConfigureAwait(false);
                foreach (SweptContainer container in sweptContainers)
                {
                    await output.Out.WriteLineAsync("  " + container).ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        }));
        return clean;
    }
}
