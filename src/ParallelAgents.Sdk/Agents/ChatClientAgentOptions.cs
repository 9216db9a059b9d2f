using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>How a <see cref="ChatClientAgent"/> works: its prompt, templates, limits, budgets, prices, command policy,
/// checks and transcripts. Validated when the agent is made; change it before, not after.</summary>
public sealed class ChatClientAgentOptions
{
    /// <summary>The system prompt used by default; see <see cref="SystemPromptTemplate"/> for its placeholders.</summary>
    public const string DefaultSystemPromptTemplate =
        """
        You are an AI coding agent. You work on one task of a larger plan, alone in your own workspace: a checkout of the repository where your changes cannot disturb anyone else. Other agents work on other tasks at the same time and share what they learn through a shared memory.

        {template_instructions}

        # Your task: {task_id}
        {instructions}

        # Success criteria
        {success_criteria}

        # Checks (commands run in your workspace when you say you are done; all must pass)
        {checks}

        # What the tasks yours depends on did
        {dependencies}

        # Discoveries shared by other agents
        {discoveries}

        # Predicted conflicts with other agents' work
        {conflicts}

        # The previous attempt at this task
        {previous_error}

        # How to work
        - Use the tools: list_files, read_file, search, write_file, edit_file, delete_file and run_command. Paths are relative to the workspace root.
        - Read before you edit. Prefer edit_file for changes to existing files; its old_text must match the file exactly, once.
        - Run the checks yourself with run_command before you finish.
        - Share what other tasks need (routes, schemas, names, decisions) with report_discovery; report overlapping work with report_conflict.
        - Do not commit, push or change branches: the engine commits your work.
        - When the task is done, call finish with a short summary of what you did (it is handed to the tasks that depend on yours).
        """;

    /// <summary>The placeholders <see cref="SystemPromptTemplate"/> may use.</summary>
    public static IReadOnlyList<string> SystemPromptPlaceholders { get; } =
    [
        "{task_id}", "{instructions}", "{success_criteria}", "{checks}", "{dependencies}", "{discoveries}",
        "{conflicts}", "{previous_error}", "{template_instructions}", "{template}", "{attempt}",
    ];

    /// <summary>The options passed to the chat client on every call, such as <see cref="ChatOptions.ModelId"/> and
    /// <see cref="ChatOptions.Temperature"/>. They are copied for each attempt; tools in <see cref="ChatOptions.Tools"/>
    /// are offered beside the agent's own.</summary>
    /// <value>The default is <see langword="null"/>: the chat client's defaults.</value>
    public ChatOptions? ChatOptions { get; set; }

    /// <summary>The system prompt, with placeholders replaced for each attempt: <c>{task_id}</c>, <c>{instructions}</c>,
    /// <c>{success_criteria}</c>, <c>{checks}</c>, <c>{dependencies}</c> (the summaries of the tasks this one depends on),
    /// <c>{discoveries}</c> and <c>{conflicts}</c> (from the shared memory), <c>{previous_error}</c>,
    /// <c>{template_instructions}</c>, <c>{template}</c> and <c>{attempt}</c>. Sections with nothing to say read
    /// <c>(none)</c>; other text in braces is kept as it is.</summary>
    /// <value>The default is <see cref="DefaultSystemPromptTemplate"/>.</value>
    public string SystemPromptTemplate { get; set; } = DefaultSystemPromptTemplate;

    /// <summary>The templates tasks choose with <c>template:</c>, by name (ignoring case). Add your own here, or replace
    /// a built-in one under its name.</summary>
    /// <value>The default holds <see cref="AgentTemplate.BuiltIn"/>: <c>frontend</c>, <c>backend</c>, <c>database</c> and <c>test</c>.</value>
    public IDictionary<string, AgentTemplate> Templates { get; } =
        AgentTemplate.BuiltIn.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The template used for tasks without <c>template:</c>.</summary>
    /// <value>The default is <see langword="null"/>: no template.</value>
    public string? DefaultTemplate { get; set; }

    /// <summary>The most model calls in one attempt (check rounds included).</summary>
    /// <value>At least 1. The default is 50.</value>
    public int MaxTurns { get; set; } = 50;

    /// <summary>The most tool calls in one attempt.</summary>
    /// <value>At least 1. The default is 200.</value>
    public int MaxToolCalls { get; set; } = 200;

    /// <summary>The most tokens (input and output together) one attempt at a task may use; checked before each model
    /// call, so the call that crosses the limit completes.</summary>
    /// <value>At least 1, or <see langword="null"/>. The default is <see langword="null"/>: no limit.</value>
    public long? MaxTokensPerTask { get; set; }

    /// <summary>A budget shared by every agent given the same instance, such as the budget of a whole run.</summary>
    /// <value>The default is <see langword="null"/>: no shared budget.</value>
    public TokenBudget? RunBudget { get; set; }

    /// <summary>What each model's tokens cost, by model id (ignoring case), for <see cref="AgentUsage.Cost"/>. The
    /// model id is the one the response names, else <see cref="ChatOptions"/>' <see cref="ChatOptions.ModelId"/>, else
    /// the client's default model.</summary>
    /// <value>The default is empty: every cost is 0.</value>
    public IDictionary<string, ModelPrice> Prices { get; } = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Command prefixes <c>run_command</c> allows; when the list is not empty, every part of a command line
    /// (split at <c>&amp;&amp;</c>, <c>||</c>, <c>;</c>, <c>|</c> and new lines) must start with one of them, and
    /// command substitution (<c>$(…)</c>, backquotes) is refused. A prefix matches whole words: <c>npm</c> allows
    /// <c>npm test</c>, not <c>npx</c>. A guard against mistakes, not a security boundary: use container isolation
    /// for that.</summary>
    /// <value>The default is empty: every command not denied is allowed.</value>
    public IList<string> AllowedCommands { get; } = [];

    /// <summary>Command prefixes <c>run_command</c> refuses, matched like <see cref="AllowedCommands"/> against every
    /// part of the command line; they win over the allowed ones.</summary>
    /// <value>The default is <c>git push</c>, <c>git remote</c> and <c>sudo</c>.</value>
    public IList<string> DeniedCommands { get; } = ["git push", "git remote", "sudo"];

    /// <summary>How long a <c>run_command</c> command may run; the model may ask for less, not more.</summary>
    /// <value>Positive. The default is 5 minutes.</value>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most characters of a command's output the model reads (head and tail kept, with a note of what
    /// was cut).</summary>
    /// <value>At least 1,000. The default is 20,000.</value>
    public int MaxCommandOutputChars { get; set; } = 20_000;

    /// <summary>The most characters of any other tool result the model reads (head and tail kept, with a note).</summary>
    /// <value>At least 1,000. The default is 30,000.</value>
    public int MaxToolResultChars { get; set; } = 30_000;

    /// <summary>The largest file <c>read_file</c> and <c>search</c> read, in bytes.</summary>
    /// <value>At least 1. The default is 2 MiB.</value>
    public long MaxFileBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>The most matching lines <c>search</c> returns.</summary>
    /// <value>At least 1. The default is 100.</value>
    public int MaxSearchResults { get; set; } = 100;

    /// <summary>The most paths <c>list_files</c> returns.</summary>
    /// <value>At least 1. The default is 1,000.</value>
    public int MaxListedFiles { get; set; } = 1_000;

    /// <summary>How many times the checks run in one attempt: when they fail, their output goes back to the model,
    /// which goes on working, until they pass or this many rounds have failed.</summary>
    /// <value>At least 1, or <see langword="null"/>. The default is <see langword="null"/>: the task's
    /// <c>max_attempts</c> (<see cref="AgentTask.MaxAttempts"/>), or 3 when it has none.</value>
    public int? MaxCheckRounds { get; set; }

    /// <summary>How long one check command may run.</summary>
    /// <value>Positive. The default is 10 minutes.</value>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Whether, once the checks pass, the model is asked for a verdict on each of the task's success
    /// criteria; the verdicts are recorded in the transcript, and criteria judged unmet go back to the model like a
    /// failed check.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool JudgeCriteriaWithModel { get; set; }

    /// <summary>Whether the model is called with streaming (<see cref="IChatClient.GetStreamingResponseAsync"/>); usage
    /// is then read from the stream's <see cref="UsageContent"/>.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool UseStreaming { get; set; }

    /// <summary>The folder of transcripts: each attempt writes JSON lines to
    /// <c>&lt;folder&gt;/&lt;task-id&gt;/attempt-&lt;n&gt;.jsonl</c> (<c>attempt-&lt;n&gt;-lane-&lt;lane&gt;.jsonl</c> for a
    /// task's further parallel agents), replacing a file of the same name. A relative folder is relative to the
    /// current directory. <see langword="null"/> writes no transcripts.</summary>
    /// <value>The default is <c>reports/agents</c>.</value>
    public string? TranscriptDirectory { get; set; } = Path.Combine("reports", "agents");

    /// <summary>Which environment variables are secrets: their values are redacted (<c>[REDACTED]</c>) from transcripts
    /// and from what tools hand back to the model. Use the same instance as the workspaces' command environment.</summary>
    /// <value>The default is a new <see cref="CommandEnvironmentOptions"/>: API keys, tokens, passwords and the like.</value>
    public CommandEnvironmentOptions SecretEnvironment { get; set; } = new();

    /// <summary>Further secret values redacted from transcripts and tool results.</summary>
    /// <value>The default is none.</value>
    public IList<string> SecretValues { get; } = [];

    /// <summary>The most characters of the model's final message kept as the outcome's summary.</summary>
    /// <value>At least 100. The default is 4,000.</value>
    public int MaxSummaryChars { get; set; } = 4_000;

    /// <summary>The clock of transcript timestamps.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks every option and throws one exception that lists every problem.</summary>
    /// <exception cref="ArgumentException">An option is out of range or missing.</exception>
    internal void Validate()
    {
        var problems = new List<string>();
        if (MaxTurns < 1)
        {
            problems.Add($"MaxTurns is {MaxTurns}; it must be at least 1.");
        }

        if (MaxToolCalls < 1)
        {
            problems.Add($"MaxToolCalls is {MaxToolCalls}; it must be at least 1.");
        }

        if (MaxTokensPerTask is < 1)
        {
            problems.Add($"MaxTokensPerTask is {MaxTokensPerTask}; it must be at least 1, or null for no limit.");
        }

        if (CommandTimeout <= TimeSpan.Zero)
        {
            problems.Add($"CommandTimeout is {CommandTimeout}; it must be positive.");
        }

        if (CheckTimeout <= TimeSpan.Zero)
        {
            problems.Add($"CheckTimeout is {CheckTimeout}; it must be positive.");
        }

        if (MaxCommandOutputChars < 1_000)
        {
            problems.Add($"MaxCommandOutputChars is {MaxCommandOutputChars}; it must be at least 1,000.");
        }

        if (MaxToolResultChars < 1_000)
        {
            problems.Add($"MaxToolResultChars is {MaxToolResultChars}; it must be at least 1,000.");
        }

        if (MaxFileBytes < 1)
        {
            problems.Add($"MaxFileBytes is {MaxFileBytes}; it must be at least 1.");
        }

        if (MaxSearchResults < 1)
        {
            problems.Add($"MaxSearchResults is {MaxSearchResults}; it must be at least 1.");
        }

        if (MaxListedFiles < 1)
        {
            problems.Add($"MaxListedFiles is {MaxListedFiles}; it must be at least 1.");
        }

        if (MaxCheckRounds is < 1)
        {
            problems.Add($"MaxCheckRounds is {MaxCheckRounds}; it must be at least 1, or null for the task's max_attempts.");
        }

        if (MaxSummaryChars < 100)
        {
            problems.Add($"MaxSummaryChars is {MaxSummaryChars}; it must be at least 100.");
        }

        if (string.IsNullOrWhiteSpace(SystemPromptTemplate))
        {
            problems.Add("SystemPromptTemplate is empty; use ChatClientAgentOptions.DefaultSystemPromptTemplate or your own text.");
        }

        if (TimeProvider is null)
        {
            problems.Add("TimeProvider is null; use TimeProvider.System.");
        }

        if (SecretEnvironment is null)
        {
            problems.Add("SecretEnvironment is null; use new CommandEnvironmentOptions().");
        }
        else
        {
            var environmentProblems = new List<string>();
            SecretEnvironment.Validate(environmentProblems);
            problems.AddRange(environmentProblems.Select(p => "SecretEnvironment: " + p));
        }

        foreach ((string name, AgentTemplate? template) in Templates)
        {
            if (template is null)
            {
                problems.Add($"Templates['{name}'] is null; remove the entry instead.");
            }
            else if (template.DefaultChecks is null || template.DefaultChecks.Any(string.IsNullOrWhiteSpace))
            {
                problems.Add($"Templates['{name}'] has a null or empty default check; give each check a command line.");
            }
        }

        if (DefaultTemplate is not null && !Templates.ContainsKey(DefaultTemplate))
        {
            problems.Add($"DefaultTemplate is '{DefaultTemplate}', which is not in Templates (known: {string.Join(", ", Templates.Keys.Order(StringComparer.OrdinalIgnoreCase))}); register it or pick a known one.");
        }

        foreach ((string model, ModelPrice? price) in Prices)
        {
            if (price is null || price.InputPerMillion < 0 || price.OutputPerMillion < 0)
            {
                problems.Add($"Prices['{model}'] must be a price of zero or more per million tokens.");
            }
        }

        CheckPrefixes(problems, nameof(AllowedCommands), AllowedCommands);
        CheckPrefixes(problems, nameof(DeniedCommands), DeniedCommands);

        if (problems.Count > 0)
        {
            throw new ArgumentException(
                $"The ChatClientAgent options have {problems.Count} problem{(problems.Count == 1 ? "" : "s")}:{Environment.NewLine}- {string.Join(Environment.NewLine + "- ", problems)}");
        }
    }

    private static void CheckPrefixes(List<string> problems, string property, IList<string> prefixes)
    {
        if (prefixes.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add($"{property} has an empty entry; remove it (an empty prefix would match every command).");
        }
    }
}
