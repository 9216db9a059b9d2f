using System.CommandLine;
using ParallelAgents.Sdk.Docker;

namespace ParallelAgents.Sdk.Cli;

/// <summary>The <c>parallel-agents</c> command tree, and the one place errors become messages and exit codes.</summary>
internal static class CliApp
{
    /// <summary>Runs the command line <paramref name="args"/>.</summary>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static async Task<int> RunAsync(string[] args, CliOutput output, CancellationToken cancellationToken)
    {
        RootCommand root = Build(output);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
            {
                await output.Error.WriteLineAsync("error: " + error.Message).ConfigureAwait(false);
            }

            await output.Error.WriteLineAsync("Run 'parallel-agents --help' for the commands and options.").ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }

        var configuration = new InvocationConfiguration
        {
            Output = output.Out,
            Error = output.Error,
            // Program handles SIGINT and SIGTERM itself, so a run gets the time it needs to stop cleanly.
            ProcessTerminationTimeout = null,
        };
        return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    internal static RootCommand Build(CliOutput output)
    {
        var root = new RootCommand(
            "Runs several AI coding agents in parallel on one git repository, each task of a tasks.yaml in its own worktree, " +
            "and merges their branches into main. Exit codes: 0 ok, 1 the run had failures, 2 invalid input, 3 environment " +
            "missing (Docker, a model), 130 cancelled.");
        root.Subcommands.Add(RunCommand.Create(output));
        root.Subcommands.Add(ValidateCommand.Create(output));
        root.Subcommands.Add(StatusCommand.Create(output));
        root.Subcommands.Add(ResumeCommand.Create(output));
        root.Subcommands.Add(MergeCommand.Create(output));
        root.Subcommands.Add(MemoryCommand.Create(output));
        root.Subcommands.Add(CleanCommand.Create(output));
        return root;
    }

    /// <summary>The action of a command, with every failure the user can act on turned into a message on standard
    /// error and its exit code; with <c>--json</c>, standard output also gets <c>{"error": ..., "exitCode": ...}</c>.</summary>
    internal static Func<ParseResult, CancellationToken, Task<int>> Guarded(CliOutput output, Func<ParseResult, CancellationToken, Task<int>> action) =>
        async (parse, cancellationToken) =>
        {
            try
            {
                return await action(parse, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return await FailAsync(output, parse, ExitCodes.Cancelled, ["Cancelled."]).ConfigureAwait(false);
            }
            catch (TaskPlanException e)
            {
                return await FailAsync(output, parse, ExitCodes.InvalidInput, [.. ValidateCommand.ProblemLines(e, null)]).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CliUsageException or ParallelAgentsConfigurationException or FileNotFoundException or DirectoryNotFoundException)
            {
                return await FailAsync(output, parse, ExitCodes.InvalidInput, ["error: " + e.Message]).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DockerUnavailableException or SharedMemoryLockedException or CliEnvironmentException)
            {
                return await FailAsync(output, parse, ExitCodes.EnvironmentMissing, ["error: " + e.Message]).ConfigureAwait(false);
            }
        };

    private static async Task<int> FailAsync(CliOutput output, ParseResult parse, int exitCode, IReadOnlyList<string> lines)
    {
        foreach (string line in lines)
        {
            await output.Error.WriteLineAsync(line).ConfigureAwait(false);
        }

        Option<bool>? json = parse.CommandResult.Command.Options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == "--json");
        if (json is not null && parse.GetValue(json))
        {
            await output.Out.WriteLineAsync(Json.Write(new System.Text.Json.Nodes.JsonObject
            {
                ["error"] = string.Join("\n", lines),
                ["exitCode"] = exitCode,
            })).ConfigureAwait(false);
        }

        return exitCode;
    }
}
