using System.Text;
using ParallelAgents.Sdk;

namespace MyAgents;

/// <summary>Runs a command-line tool in the task's workspace with a prompt built from the context, then the task's
/// checks; a failing check is a transient failure, so the next attempt gets it as its previous error.</summary>
public sealed class CommandLineAgent(Func<string, string> commandLine) : IAgent
{
    public async ValueTask<AgentOutcome> RunAsync(AgentContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Workspace is not { } workspace)
        {
            return AgentOutcome.Failure("CommandLineAgent needs a workspace; register an isolation provider with UseIsolation.");
        }

        // Through the workspace, the command gets its rules: a timeout, an output cap, the process tree killed, no
        // secrets in its environment, and the container when the task runs in one.
        CommandResult run = await workspace.ExecuteAsync(new CommandRequest { Command = commandLine(Prompt(context)) }, cancellationToken);
        context.Progress.Report(AgentProgress.CommandRun(run.Command, run.Succeeded, run.Duration));
        if (!run.Succeeded)
        {
            return AgentOutcome.Failure($"the tool failed: {run}");
        }

        foreach (string check in context.Task.Checks)
        {
            CommandResult result = await workspace.ExecuteAsync(new CommandRequest { Command = check }, cancellationToken);
            context.Progress.Report(AgentProgress.CommandRun(check, result.Succeeded, result.Duration));
            if (!result.Succeeded)
            {
                return AgentOutcome.Failure($"check '{check}' failed: {result}", isTransient: true);
            }
        }

        return AgentOutcome.Success($"done; {context.Task.Checks.Count} check(s) passed.");
    }

    private static string Prompt(AgentContext context)
    {
        var prompt = new StringBuilder(context.Task.Instructions);
        foreach (string criterion in context.Task.SuccessCriteria)
        {
            prompt.Append("\n- Success criterion: ").Append(criterion);
        }

        foreach (TaskResult dependency in context.Dependencies)
        {
            prompt.Append("\n- Already done by task ").Append(dependency.TaskId).Append(": ").Append(dependency.Summary);
        }

        if (context.PreviousError is { } error)
        {
            prompt.Append("\nThe previous attempt failed; fix this first:\n").Append(error);
        }

        return prompt.ToString();
    }
}
