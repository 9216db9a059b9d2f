using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>Runs a plan's <c>setup:</c> commands in a new workspace before its agent starts.</summary>
internal static class WorkspaceSetup
{
    /// <summary>Runs each command in order and stops at the first that fails.</summary>
    /// <returns><see langword="null"/> when every command passed; otherwise the failure, with the command's output,
    /// as the attempt's error.</returns>
    public static async ValueTask<string?> RunAsync(
        IAgentWorkspace workspace, IReadOnlyList<string> commands, AgentTask task, int attempt, ILogger logger, CancellationToken cancellationToken)
    {
        foreach (string command in commands)
        {
            CommandResult result = await workspace.ExecuteAsync(new CommandRequest { Command = command }, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                Log.SetupFailed(logger, task.Id, command, attempt);
                string how = result.TimedOut ? $"timed out after {result.Duration}" : $"exited with {result.ExitCode}";
                return $"the plan's setup command '{command}' {how} in the workspace of task '{task.Id}'; fix the command or the repository. Output:\n{result.Output}";
            }
        }

        return null;
    }
}
