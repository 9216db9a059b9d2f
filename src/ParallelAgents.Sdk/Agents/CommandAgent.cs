using System.Globalization;
using System.Text;

namespace ParallelAgents.Sdk;

/// <summary>
/// An <see cref="IAgent"/> that runs an external coding-agent command line in the task's workspace, such as
/// <c>claude -p {instructions}</c>, <c>codex exec {instructions}</c> or <c>aider --yes --message {instructions}</c>
/// (see <see cref="CommandAgentOptions.Command"/> for the placeholders).
/// </summary>
/// <remarks>
/// <para>The command runs through <see cref="IAgentWorkspace.ExecuteAsync"/>: on the host or wherever the isolation
/// provider runs commands, with the provider's secrets removed from its environment (name the ones the CLI needs in
/// <see cref="CommandAgentOptions.PassEnvironmentVariables"/>), a timeout and an output cap. Exit code 0 is success
/// and the end of the output becomes the summary; any other code, or a timeout, fails the attempt with the end of the
/// output as the error. The agent does not commit: the engine commits whatever an attempt leaves in its workspace.</para>
/// <para>The summary and the error go into reports and other agents' prompts, so the values of the host's secret
/// variables (<see cref="CommandEnvironmentOptions.DefaultSecretPatterns"/>), of the variables passed through
/// <see cref="CommandAgentOptions.PassEnvironmentVariables"/> and of secret-named entries of
/// <see cref="CommandAgentOptions.Environment"/> are replaced by <c>[REDACTED]</c> in them.</para>
/// <para>Placeholders are quoted for a POSIX shell. On Windows, where commands run through <c>cmd.exe</c>, only
/// <c>{task_id}</c>, <c>{attempt}</c> and <c>{prompt_file}</c> may be used (cmd.exe cannot carry arbitrary text in an
/// argument safely): read the prompt from the file.</para>
/// </remarks>
public sealed class CommandAgent : IAgent
{
    /// <summary>Linux caps one argument (the whole command line given to <c>sh -c</c>) at 128 KiB.</summary>
    private const int MaxCommandChars = 131_072 - 1;

    private static readonly string[] WindowsPlaceholders = ["task_id", "attempt", "prompt_file"];

    private readonly CommandAgentOptions _options;

    /// <summary>Creates the agent.</summary>
    /// <param name="options">The command line and how to run it; they are checked and copied.</param>
    /// <exception cref="ParallelAgentsConfigurationException">The options are invalid; every problem is listed.</exception>
    /// <exception cref="PlatformNotSupportedException">On Windows, the command uses a placeholder other than
    /// <c>{task_id}</c>, <c>{attempt}</c> and <c>{prompt_file}</c>.</exception>
    public CommandAgent(CommandAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        if (OperatingSystem.IsWindows())
        {
            string? unsafePlaceholder = CommandTemplate.Names.Except(WindowsPlaceholders)
                .FirstOrDefault(name => _options.Command.Contains("{" + name + "}", StringComparison.Ordinal));
            if (unsafePlaceholder is not null)
            {
                throw new PlatformNotSupportedException(
                    $"CommandAgentOptions.Command uses {{{unsafePlaceholder}}}, which cannot be quoted safely for cmd.exe; on Windows pass the prompt with {{prompt_file}} instead.");
            }
        }
    }

    /// <summary>Creates an agent that runs <paramref name="command"/> with the default options.</summary>
    /// <param name="command">The command line, such as <c>claude -p {instructions}</c>.</param>
    /// <exception cref="ParallelAgentsConfigurationException">The command is empty or has an unknown placeholder.</exception>
    public CommandAgent(string command)
        : this(new CommandAgentOptions { Command = command })
    {
    }

    /// <inheritdoc/>
    public async ValueTask<AgentOutcome> RunAsync(AgentContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        IAgentWorkspace? workspace = context.Workspace;
        if (workspace is null)
        {
            return AgentOutcome.Failure(
                $"Task '{context.Task.Id}' has no workspace, and a CommandAgent runs its command in one; configure isolation (UseWorktreeIsolation or UseRepository).");
        }

        SecretRedactor redactor = Redactor();
        string prompt = BuildPrompt(context);
        string promptFile = Path.Combine(Path.GetTempPath(), "parallelagents-prompts", $"{context.Task.Id}-{Guid.NewGuid():N}.md");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(promptFile)!);
            await File.WriteAllTextAsync(promptFile, prompt, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            string? problem = Render(context, prompt, promptFile, out string command);
            if (problem is not null)
            {
                return AgentOutcome.Failure(problem);
            }

            CommandResult result = await workspace.ExecuteAsync(
                new CommandRequest
                {
                    Command = command,
                    Timeout = _options.Timeout,
                    MaxOutputChars = _options.MaxOutputChars,
                    Environment = Environment(context, promptFile),
                },
                cancellationToken).ConfigureAwait(false);
            // Reported as configured, placeholders and all: the rendered line holds the whole prompt.
            context.Progress.Report(AgentProgress.CommandRun(_options.Command, result.Succeeded, result.Duration));
            string tail = redactor.Redact(Tail(result.Output));
            if (result.TimedOut)
            {
                return AgentOutcome.Failure($"The agent's command was killed after running past its timeout of {_options.Timeout}. The end of its output:\n{tail}");
            }

            if (result.ExitCode != 0)
            {
                bool transient = _options.TransientExitCodes.Contains(result.ExitCode);
                return AgentOutcome.Failure(
                    $"The agent's command exited with {result.ExitCode}{(transient ? " (marked transient)" : "")}. The end of its output:\n{tail}", transient);
            }

            if (_options.RunChecks)
            {
                string? failed = await RunChecksAsync(context, workspace, cancellationToken).ConfigureAwait(false);
                if (failed is not null)
                {
                    return AgentOutcome.Failure(redactor.Redact(failed));
                }
            }

            return AgentOutcome.Success(tail.Length == 0 ? "The agent's command exited with 0 and printed nothing." : tail);
        }
        finally
        {
            File.Delete(promptFile);
        }
    }

    /// <summary>The full prompt: what the task asks, how it is judged, what it builds on, and why the last try failed.</summary>
    internal static string BuildPrompt(AgentContext context)
    {
        AgentTask task = context.Task;
        var text = new StringBuilder();
        text.Append(task.Instructions.TrimEnd()).Append('\n');
        if (task.SuccessCriteria.Count > 0)
        {
            text.Append("\nSuccess criteria:\n");
            foreach (string criterion in task.SuccessCriteria)
            {
                text.Append("- ").Append(criterion).Append('\n');
            }
        }

        if (task.Checks.Count > 0)
        {
            text.Append("\nThese commands must pass in the workspace when you are done:\n");
            foreach (string check in task.Checks)
            {
                text.Append("- ").Append(check).Append('\n');
            }
        }

        foreach (TaskResult dependency in context.Dependencies)
        {
            if (!string.IsNullOrWhiteSpace(dependency.Summary))
            {
                text.Append(CultureInfo.InvariantCulture, $"\nTask '{dependency.TaskId}', which this one builds on, reported:\n{dependency.Summary.TrimEnd()}\n");
            }
        }

        if (!string.IsNullOrWhiteSpace(context.PreviousError))
        {
            text.Append(CultureInfo.InvariantCulture, $"\nThe previous attempt (attempt {context.Attempt - 1}) failed:\n{context.PreviousError.TrimEnd()}\n");
        }

        return text.ToString();
    }

    private string? Render(AgentContext context, string prompt, string promptFile, out string command)
    {
        AgentTask task = context.Task;
        string Value(string name) => name switch
        {
            "instructions" => task.Instructions,
            "prompt" => prompt,
            "prompt_file" => promptFile,
            "task_id" => task.Id,
            "attempt" => context.Attempt.ToString(CultureInfo.InvariantCulture),
            "criteria" => string.Join('\n', task.SuccessCriteria),
            "checks" => string.Join('\n', task.Checks),
            _ => context.PreviousError ?? "",
        };

        command = OperatingSystem.IsWindows()
            ? _options.Command
                .Replace("{task_id}", task.Id, StringComparison.Ordinal)
                .Replace("{attempt}", Value("attempt"), StringComparison.Ordinal)
                .Replace("{prompt_file}", "\"" + promptFile + "\"", StringComparison.Ordinal)
            : CommandTemplate.Render(_options.Command, Value);
        if (command.Contains('\0', StringComparison.Ordinal))
        {
            return $"Task '{task.Id}' could not be handed to the agent's command: its text holds a NUL character, which no command line can carry; remove it from the task.";
        }

        if (command.Length > MaxCommandChars)
        {
            return string.Create(CultureInfo.InvariantCulture, $"The agent's command line for task '{task.Id}' is {command.Length:N0} characters, over the {MaxCommandChars + 1:N0} one argument may have; ") +
                "pass the prompt with {prompt_file} (or read PARALLELAGENTS_PROMPT_FILE) instead of {instructions} or {prompt}.";
        }

        return null;
    }

    private SecretRedactor Redactor()
    {
        var scrubbing = new CommandEnvironmentOptions();
        IEnumerable<string> passed = _options.PassEnvironmentVariables
            .Select(System.Environment.GetEnvironmentVariable)
            .OfType<string>();
        IEnumerable<string> configured = _options.Environment
            .Where(pair => pair.Value is not null && scrubbing.IsSecret(pair.Key))
            .Select(pair => pair.Value!);
        return new SecretRedactor(scrubbing.SecretValues().Concat(passed.Concat(configured)
            .Where(value => value.Length >= CommandEnvironmentOptions.MinRedactedLength)));
    }

    private Dictionary<string, string?> Environment(AgentContext context, string promptFile)
    {
        var variables = new Dictionary<string, string?>(_options.Environment, StringComparer.Ordinal);
        foreach (string name in _options.PassEnvironmentVariables)
        {
            // Named explicitly with its value, a secret gets past the workspace's scrubbing; one the host lacks stays unset.
            if (System.Environment.GetEnvironmentVariable(name) is { } value)
            {
                variables[name] = value;
            }
        }

        variables["PARALLELAGENTS_TASK_ID"] = context.Task.Id;
        variables["PARALLELAGENTS_ATTEMPT"] = context.Attempt.ToString(CultureInfo.InvariantCulture);
        variables["PARALLELAGENTS_PROMPT_FILE"] = promptFile;
        return variables;
    }

    private async Task<string?> RunChecksAsync(AgentContext context, IAgentWorkspace workspace, CancellationToken cancellationToken)
    {
        foreach (string check in context.Task.Checks)
        {
            CommandResult result = await workspace.ExecuteAsync(
                new CommandRequest { Command = check, Timeout = _options.CheckTimeout, MaxOutputChars = _options.MaxOutputChars },
                cancellationToken).ConfigureAwait(false);
            context.Progress.Report(AgentProgress.CommandRun(check, result.Succeeded, result.Duration));
            if (!result.Succeeded)
            {
                string how = result.TimedOut ? $"was killed after {_options.CheckTimeout}" : $"exited with {result.ExitCode}";
                return $"The agent's command succeeded, but the check '{check}' {how}. The end of its output:\n{Tail(result.Output)}";
            }
        }

        return null;
    }

    private string Tail(string output)
    {
        string trimmed = output.TrimEnd();
        if (trimmed.Length <= _options.OutputTailChars)
        {
            return trimmed;
        }

        // Start at a line boundary when one is near, so the tail does not open mid-word.
        int start = trimmed.Length - _options.OutputTailChars;
        int newline = trimmed.IndexOf('\n', start);
        start = newline >= 0 && newline - start < 200 ? newline + 1 : start;
        return "…" + trimmed[start..];
    }
}
