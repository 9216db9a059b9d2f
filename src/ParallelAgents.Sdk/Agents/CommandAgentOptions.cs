namespace ParallelAgents.Sdk;

/// <summary>How a <see cref="CommandAgent"/> runs an external coding-agent command line.</summary>
/// <remarks>The agent copies and checks the options when it is made; later changes to this instance do not reach it.</remarks>
public sealed class CommandAgentOptions
{
    /// <summary>The command line that does one attempt, run by the shell (<c>/bin/sh -c</c>) in the workspace's root,
    /// such as <c>claude -p {instructions}</c>, <c>codex exec {instructions}</c> or
    /// <c>aider --yes --message {instructions}</c>.</summary>
    /// <remarks>
    /// <para>Placeholders are replaced by the task's values, each quoted as one shell word (in single quotes), so that
    /// quotes, <c>$(...)</c>, backticks and line breaks in them reach the program verbatim and are never run:</para>
    /// <list type="bullet">
    /// <item><c>{instructions}</c>: the task's instructions, exactly as written.</item>
    /// <item><c>{prompt}</c>: the full prompt: the instructions, the success criteria, the checks that will be run, the
    /// summaries of the tasks this one depends on, and why the previous attempt failed.</item>
    /// <item><c>{prompt_file}</c>: the path of a file holding the full prompt, written on the host before the command
    /// runs and deleted after it (for prompts too long for one argument: Linux caps a command line at 128 KiB).</item>
    /// <item><c>{task_id}</c>, <c>{attempt}</c>: the task's id and the attempt's number.</item>
    /// <item><c>{criteria}</c>, <c>{checks}</c>: the task's success criteria and checks, one a line.</item>
    /// <item><c>{previous_error}</c>: why the previous attempt failed; empty on a first attempt.</item>
    /// </list>
    /// <para>The command also gets the variables <c>PARALLELAGENTS_TASK_ID</c>, <c>PARALLELAGENTS_ATTEMPT</c> and
    /// <c>PARALLELAGENTS_PROMPT_FILE</c>. Any other <c>{lower_case}</c> word is an error, so that a misspelt placeholder
    /// is not passed on literally; <c>${NAME}</c> is left to the shell.</para>
    /// </remarks>
    /// <value>Required; it must hold at least one non-blank character.</value>
    public string Command { get; set; } = "";

    /// <summary>How long one attempt's command may run before its process tree is killed; the attempt then fails.</summary>
    /// <value>Positive, or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for none (the task's own
    /// <c>timeout</c> still applies). The default is 30 minutes.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The most characters of the command's output kept; past it the head and the tail are kept.</summary>
    /// <value>From 1,024 on. The default is 262,144.</value>
    public int MaxOutputChars { get; set; } = 262_144;

    /// <summary>How many characters of the end of the output become the attempt's summary (on success) or error (on
    /// failure): coding-agent CLIs print their conclusion last.</summary>
    /// <value>From 80 to <see cref="MaxOutputChars"/>. The default is 2,000.</value>
    public int OutputTailChars { get; set; } = 2_000;

    /// <summary>Exit codes that mean "try again later" (a rate limit, an overloaded service): an attempt ending with
    /// one of them fails as transient, so the engine retries it with backoff. Other non-zero codes and timeouts fail
    /// for good.</summary>
    /// <value>Non-zero codes. The default is none.</value>
    public IList<int> TransientExitCodes { get; set; } = [];

    /// <summary>Names of the host's variables handed to the command even though they are secrets, such as
    /// <c>ANTHROPIC_API_KEY</c> for <c>claude</c> or <c>OPENAI_API_KEY</c> for <c>codex</c>. Every other secret (see
    /// <see cref="CommandEnvironmentOptions"/>) is removed from the command's environment.</summary>
    /// <value>The default is none.</value>
    public IList<string> PassEnvironmentVariables { get; set; } = [];

    /// <summary>Variables set for the command (a <see langword="null"/> value removes one).</summary>
    /// <value>The default is none.</value>
    public IDictionary<string, string?> Environment { get; set; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>Whether the task's <c>checks</c> run in the workspace after the command succeeds; the first that fails
    /// fails the attempt with its output, which the next attempt gets as <c>{previous_error}</c>.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RunChecks { get; set; } = true;

    /// <summary>How long each check may run.</summary>
    /// <value>Positive, or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>. The default is 10 minutes.</value>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Checks the options and lists every problem found.</summary>
    /// <exception cref="ParallelAgentsConfigurationException">The options are invalid; every problem is listed.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Command))
        {
            problems.Add("CommandAgentOptions.Command is empty; give the command line of the agent, such as 'claude -p {instructions}'.");
        }
        else
        {
            problems.AddRange(CommandTemplate.Check(Command));
        }

        if (Timeout <= TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            problems.Add($"CommandAgentOptions.Timeout is {Timeout}; it must be positive, or Timeout.InfiniteTimeSpan for none.");
        }

        if (CheckTimeout <= TimeSpan.Zero && CheckTimeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            problems.Add($"CommandAgentOptions.CheckTimeout is {CheckTimeout}; it must be positive, or Timeout.InfiniteTimeSpan for none.");
        }

        if (MaxOutputChars < 1_024)
        {
            problems.Add($"CommandAgentOptions.MaxOutputChars is {MaxOutputChars}; it must be 1,024 or more.");
        }

        if (OutputTailChars < 80 || OutputTailChars > Math.Max(MaxOutputChars, 80))
        {
            problems.Add($"CommandAgentOptions.OutputTailChars is {OutputTailChars}; it must be from 80 to MaxOutputChars ({MaxOutputChars}).");
        }

        if (TransientExitCodes is null)
        {
            problems.Add("CommandAgentOptions.TransientExitCodes must not be null; use an empty list for none.");
        }
        else if (TransientExitCodes.Contains(0))
        {
            problems.Add("CommandAgentOptions.TransientExitCodes holds 0, which is success; list only failing codes.");
        }

        if (PassEnvironmentVariables is null)
        {
            problems.Add("CommandAgentOptions.PassEnvironmentVariables must not be null; use an empty list for none.");
        }
        else
        {
            foreach (string name in PassEnvironmentVariables)
            {
                if (!CommandEnvironmentOptions.IsValidName(name))
                {
                    problems.Add($"CommandAgentOptions.PassEnvironmentVariables has '{name}', which is not a variable name (it is empty or holds '=' or NUL).");
                }
            }
        }

        if (Environment is null)
        {
            problems.Add("CommandAgentOptions.Environment must not be null; use an empty dictionary for none.");
        }
        else
        {
            foreach ((string name, string? value) in Environment)
            {
                if (!CommandEnvironmentOptions.IsValidName(name))
                {
                    problems.Add($"CommandAgentOptions.Environment has the name '{name}', which is not a variable name (it is empty or holds '=' or NUL).");
                }
                else if (value is not null && value.Contains('\0', StringComparison.Ordinal))
                {
                    problems.Add($"CommandAgentOptions.Environment['{name}'] holds a NUL character; remove it.");
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new ParallelAgentsConfigurationException(problems);
        }
    }

    internal CommandAgentOptions Clone() => new()
    {
        Command = Command,
        Timeout = Timeout,
        MaxOutputChars = MaxOutputChars,
        OutputTailChars = OutputTailChars,
        TransientExitCodes = TransientExitCodes is null ? null! : [.. TransientExitCodes],
        PassEnvironmentVariables = PassEnvironmentVariables is null ? null! : [.. PassEnvironmentVariables],
        Environment = Environment is null ? null! : new Dictionary<string, string?>(Environment, StringComparer.Ordinal),
        RunChecks = RunChecks,
        CheckTimeout = CheckTimeout,
    };
}
