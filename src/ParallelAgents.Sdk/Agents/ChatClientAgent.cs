using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>
/// An AI coding agent over any <see cref="IChatClient"/> (OpenAI, Azure OpenAI, Ollama, Anthropic…): the model works on
/// its task in the task's workspace through tools (files, search, commands, shared memory) until it calls
/// <c>finish</c>; then the task's checks run, and their failures go back to the model until they pass.
/// </summary>
/// <remarks>
/// <para>The tools are <see cref="AIFunction"/>s invoked by a <see cref="FunctionInvokingChatClient"/> wrapped around
/// the given client: <c>list_files</c>, <c>read_file</c>, <c>write_file</c>, <c>edit_file</c>, <c>delete_file</c>,
/// <c>search</c>, <c>run_command</c> and <c>finish</c>, plus <c>memory_get</c>, <c>memory_set</c>, <c>memory_list</c>,
/// <c>report_discovery</c> and <c>report_conflict</c> when the engine has a shared memory. Bad model output (arguments
/// that are not JSON, missing or mistyped arguments, paths outside the workspace, huge outputs) comes back to the model
/// as an error text it can act on; it never fails the attempt.</para>
/// <para>Between the function-invoking client and the given one sits a meter that sees every model call, so the turn
/// and token budgets are checked before each call, not only between requests. When a budget or limit runs out, the
/// agent stops, commits its work so far (when the workspace is a git checkout) and returns
/// <see cref="AgentOutcomeStatus.BudgetExceeded"/>.</para>
/// <para>Errors of the chat client itself (an HTTP failure, a malformed response) are not caught: they end the attempt
/// and the engine classifies them (see <see cref="RetryOptions.ShouldRetryException"/>).</para>
/// <para>One instance serves any number of attempts at once; it never disposes the chat client.</para>
/// </remarks>
public sealed class ChatClientAgent : IAgent
{
    private const string KickOff =
        "Start the task now. Work in your workspace with the tools; when the task is done and the checks pass, call finish with a short summary.";

    private readonly IChatClient _client;
    private readonly ChatClientAgentOptions _options;

    /// <summary>Makes an agent over <paramref name="chatClient"/>.</summary>
    /// <param name="chatClient">The model. It may already invoke functions itself; the agent adds its own invocation
    /// layer either way, so give it the plain client to keep the budgets exact.</param>
    /// <param name="options">How the agent works; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option is out of range; the message lists every problem.</exception>
    public ChatClientAgent(IChatClient chatClient, ChatClientAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        _client = chatClient;
        _options = options ?? new ChatClientAgentOptions();
        _options.Validate();
    }

    /// <summary>The agent's options.</summary>
    public ChatClientAgentOptions Options => _options;

    /// <inheritdoc/>
    public async ValueTask<AgentOutcome> RunAsync(AgentContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        AgentTask task = context.Task;

        string? templateName = task.Template ?? _options.DefaultTemplate;
        AgentTemplate? template = null;
        if (templateName is not null && !_options.Templates.TryGetValue(templateName, out template))
        {
            return AgentOutcome.Failure(
                $"Task '{task.Id}' asks for the agent template '{templateName}', which is not registered; known templates: " +
                $"{string.Join(", ", _options.Templates.Keys.Order(StringComparer.OrdinalIgnoreCase))}. Fix the task's template: field or add the template to ChatClientAgentOptions.Templates.");
        }

        if (context.Workspace is not { } workspace)
        {
            return AgentOutcome.Failure(
                $"Task '{task.Id}' has no workspace, and a ChatClientAgent works only in one: configure an isolation provider (such as UseWorktreeIsolation).");
        }

        var redactor = SecretRedactor.From(_options);
        // What is written down (transcript, summary, error) also loses key-looking strings; what goes back to the model
        // loses only the configured secrets.
        SecretRedactor written = redactor.WithPatterns();
        await using TranscriptWriter transcript = OpenTranscript(context, written);
        var state = new AttemptState(_options, transcript, _options.ChatOptions?.ModelId ?? _client.GetService<ChatClientMetadata>()?.DefaultModelId, context.Progress);
        IReadOnlyList<string> checks = [.. task.Checks.Concat(template?.DefaultChecks ?? []).Distinct(StringComparer.Ordinal)];
        int maxRounds = _options.MaxCheckRounds ?? task.MaxAttempts ?? 3;

        AgentLog.Started(context.Logger, template?.Name ?? "(none)", transcript.Path ?? "(none)");
        transcript.Write("start", (w, _) =>
        {
            w.WriteString("run", context.RunId);
            w.WriteString("task", task.Id);
            w.WriteNumber("attempt", context.Attempt);
            w.WriteNumber("lane", context.Lane);
            w.WriteString("template", template?.Name);
            w.WriteString("model", state.DefaultModelId);
            w.WriteString("workspace", workspace.RootPath);
            w.WriteString("branch", workspace.Branch);
        });

        try
        {
            string systemPrompt = await SystemPromptBuilder.BuildAsync(_options.SystemPromptTemplate, context, template, checks, cancellationToken).ConfigureAwait(false);
            List<ChatMessage> history = [new(ChatRole.System, systemPrompt), new(ChatRole.User, KickOff)];
            history.ForEach(transcript.Message);

            ChatOptions chatOptions = _options.ChatOptions?.Clone() ?? new ChatOptions();
            chatOptions.Tools = [.. chatOptions.Tools ?? [], .. new AgentTools(context, workspace, _options, state).Create()];
            var invoker = new ToolInvoker(state, redactor, _options, context.Logger);
            var client = new FunctionInvokingChatClient(new MeteringChatClient(_client, state, countsAsTurn: true))
            {
                FunctionInvoker = invoker.InvokeAsync,

                // The meter enforces MaxTurns across the whole attempt; the per-request limit must never come first.
                MaximumIterationsPerRequest = int.MaxValue,
            };

            for (int round = 1; ; round++)
            {
                string summary = await WorkAsync(client, history, chatOptions, state, cancellationToken).ConfigureAwait(false);

                List<string> failures = await RunChecksAsync(workspace, checks, round, transcript, context.Progress, cancellationToken).ConfigureAwait(false);
                if (failures.Count == 0 && _options.JudgeCriteriaWithModel && task.SuccessCriteria.Count > 0)
                {
                    failures = await JudgeAsync(history, chatOptions, task, state, cancellationToken).ConfigureAwait(false);
                }

                if (failures.Count == 0)
                {
                    // The summary goes into reports and other agents' prompts: no secret the model echoed may travel with it.
                    return Finish(context, transcript, state, AgentOutcome.Success(Trim(written.Redact(summary)), state.Usage()));
                }

                AgentLog.ChecksFailed(context.Logger, round, maxRounds, Trim(failures[0], 300));
                if (round >= maxRounds)
                {
                    return Finish(context, transcript, state, AgentOutcome.Failure(
                        $"The checks still fail after {round} round{(round == 1 ? "" : "s")} (ChatClientAgentOptions.MaxCheckRounds or the task's max_attempts): {Trim(written.Redact(failures[0]), 2_000)}",
                        isTransient: false,
                        state.Usage()));
                }

                var feedback = new ChatMessage(ChatRole.User, redactor.Redact(
                    $"The task is not done yet: {failures.Count} check{(failures.Count == 1 ? "" : "s")} failed (round {round} of {maxRounds}). Fix the problems, then call finish again.\n\n{string.Join("\n\n", failures)}"));
                history.Add(feedback);
                transcript.Message(feedback);
                state.ResetFinished();
            }
        }
        catch (AgentLimitExceededException e)
        {
            return Finish(context, transcript, state, await StopForBudgetAsync(context, workspace, state, e.Message).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            transcript.Write("error", (w, r) => w.WriteString("message", r.Redact($"{e.GetType().Name}: {e.Message}")));
            throw;
        }
    }

    /// <summary>Lets the model work until it says it is done; returns what it said.</summary>
    private async Task<string> WorkAsync(FunctionInvokingChatClient client, List<ChatMessage> history, ChatOptions chatOptions, AttemptState state, CancellationToken cancellationToken)
    {
        while (true)
        {
            ChatResponse response = _options.UseStreaming
                ? await client.GetStreamingResponseAsync(history, chatOptions, cancellationToken).ToChatResponseAsync(cancellationToken).ConfigureAwait(false)
                : await client.GetResponseAsync(history, chatOptions, cancellationToken).ConfigureAwait(false);
            history.AddRange(response.Messages);

            if (state.StopReason is { } reason)
            {
                throw new AgentLimitExceededException(reason);
            }

            if (state.Finished)
            {
                return state.FinishSummary ?? "";
            }

            // A reply without tool calls is the model's way of saying it is done, unless it said nothing at all.
            string text = response.Text;
            if (!string.IsNullOrWhiteSpace(text))
            {
                return text;
            }

            var nudge = new ChatMessage(ChatRole.User, "Your reply was empty. Go on with the task using the tools, or call finish with a summary if it is done.");
            history.Add(nudge);
            state.Transcript.Message(nudge);
        }
    }

    private async Task<List<string>> RunChecksAsync(
        IAgentWorkspace workspace, IReadOnlyList<string> checks, int round, TranscriptWriter transcript, IProgress<AgentProgress> progress, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (string check in checks)
        {
            CommandResult result = await workspace.ExecuteAsync(
                new CommandRequest { Command = check, Timeout = _options.CheckTimeout, MaxOutputChars = _options.MaxCommandOutputChars },
                cancellationToken).ConfigureAwait(false);
            progress.Report(AgentProgress.CommandRun(check, result.Succeeded, result.Duration));
            transcript.Write("check", (w, r) =>
            {
                w.WriteNumber("round", round);
                w.WriteString("command", r.Redact(check));
                w.WriteNumber("exit_code", result.ExitCode);
                w.WriteBoolean("timed_out", result.TimedOut);
                w.WriteBoolean("passed", result.Succeeded);
                w.WriteNumber("duration_ms", (long)result.Duration.TotalMilliseconds);
                w.WriteString("output", r.Redact(result.Output));
            });

            if (!result.Succeeded)
            {
                failures.Add($"Check `{check}` failed {AgentTools.Describe(result)}");
            }
        }

        return failures;
    }

    /// <summary>Asks the model whether each success criterion is met; the criteria it judges unmet come back as failures.</summary>
    private async Task<List<string>> JudgeAsync(List<ChatMessage> history, ChatOptions chatOptions, AgentTask task, AttemptState state, CancellationToken cancellationToken)
    {
        var question = new StringBuilder("Judge your work against each success criterion of the task. Answer with only a JSON array, one object per criterion, in order: ")
            .Append("[{\"criterion\": \"...\", \"met\": true or false, \"reason\": \"...\"}]. The criteria:\n");
        foreach (string criterion in task.SuccessCriteria)
        {
            question.Append("- ").Append(criterion).Append('\n');
        }

        var ask = new ChatMessage(ChatRole.User, question.ToString());
        state.Transcript.Message(ask);
        ChatOptions judgeOptions = chatOptions.Clone();
        judgeOptions.Tools = null;
        judgeOptions.ToolMode = null;
        var judge = new MeteringChatClient(_client, state, countsAsTurn: false);
        ChatResponse response = await judge.GetResponseAsync([.. history, ask], judgeOptions, cancellationToken).ConfigureAwait(false);

        List<(string Criterion, bool Met, string Reason)>? verdicts = ParseVerdicts(response.Text);
        if (verdicts is null)
        {
            state.Transcript.Write("verdict", (w, r) =>
            {
                w.WriteString("error", "the model's verdict was not the JSON array asked for; the criteria stay unjudged");
                w.WriteString("answer", r.Redact(response.Text));
            });
            return [];
        }

        var failures = new List<string>();
        foreach ((string criterion, bool met, string reason) in verdicts)
        {
            state.Transcript.Write("verdict", (w, r) =>
            {
                w.WriteString("criterion", r.Redact(criterion));
                w.WriteBoolean("met", met);
                w.WriteString("reason", r.Redact(reason));
            });
            if (!met)
            {
                failures.Add($"Success criterion not met: {criterion} ({reason})");
            }
        }

        return failures;
    }

    private static List<(string Criterion, bool Met, string Reason)>? ParseVerdicts(string text)
    {
        int start = text.IndexOf('[', StringComparison.Ordinal);
        int end = text.LastIndexOf(']');
        if (start < 0 || end <= start)
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(text[start..(end + 1)]);
            var verdicts = new List<(string, bool, string)>();
            foreach (JsonElement item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("criterion", out JsonElement criterion)
                    || !item.TryGetProperty("met", out JsonElement met)
                    || met.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return null;
                }

                string reason = item.TryGetProperty("reason", out JsonElement r) ? r.ToString() : "";
                verdicts.Add((criterion.ToString(), met.GetBoolean(), reason));
            }

            return verdicts;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<AgentOutcome> StopForBudgetAsync(AgentContext context, IAgentWorkspace workspace, AttemptState state, string reason)
    {
        string kept;
        if (workspace.Branch is null)
        {
            kept = $"the workspace is not a git checkout, so the work so far stays in its files at {workspace.RootPath}";
        }
        else
        {
            try
            {
                // The attempt is stopping, not cancelled: the work must be kept even if the caller's token fires now.
                WorkspaceCommit? commit = await workspace.CommitAsync(
                    $"{context.Task.Id}: work so far (the agent stopped: {reason})", CancellationToken.None).ConfigureAwait(false);
                kept = commit is null ? "there was nothing to commit" : $"the work so far is committed as {commit}";
            }
#pragma warning disable CA1031 // A failed commit is reported in the outcome; the budget outcome must still be returned.
            catch (Exception e)
#pragma warning restore CA1031
            {
                AgentLog.CommitFailed(context.Logger, e);
                kept = $"committing the work so far failed ({e.GetType().Name}: {e.Message}); it stays in the files at {workspace.RootPath}";
            }
        }

        AgentLog.BudgetExceeded(context.Logger, reason, kept);
        return AgentOutcome.BudgetExceeded($"The agent stopped before the task was done: {reason}; {kept}. Raise the limit or split the task.", state.Usage());
    }

    private static AgentOutcome Finish(AgentContext context, TranscriptWriter transcript, AttemptState state, AgentOutcome outcome)
    {
        AgentUsage usage = outcome.Usage ?? state.Usage();
        AgentLog.Done(context.Logger, usage.Turns, usage.ToolCalls, usage.InputTokens, usage.OutputTokens, usage.Cost);
        transcript.Write("outcome", (w, r) =>
        {
            w.WriteString("status", outcome.Status.ToString());
            w.WriteString("summary", outcome.Summary is null ? null : r.Redact(outcome.Summary));
            w.WriteString("error", outcome.Error is null ? null : r.Redact(outcome.Error));
            w.WriteNumber("turns", usage.Turns);
            w.WriteNumber("tool_calls", usage.ToolCalls);
            w.WriteNumber("input_tokens", usage.InputTokens);
            w.WriteNumber("output_tokens", usage.OutputTokens);
            w.WriteNumber("cost", usage.Cost);
        });
        return outcome;
    }

    private TranscriptWriter OpenTranscript(AgentContext context, SecretRedactor redactor)
    {
        if (_options.TranscriptDirectory is not { } directory)
        {
            return TranscriptWriter.None(redactor, _options.TimeProvider);
        }

        try
        {
            return TranscriptWriter.Open(directory, context, redactor, _options.TimeProvider);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AgentLog.TranscriptFailed(context.Logger, directory, e);
            return TranscriptWriter.None(redactor, _options.TimeProvider);
        }
    }

    private string Trim(string text) => Trim(text, _options.MaxSummaryChars);

    private static string Trim(string text, int max)
    {
        text = text.Trim();
        return text.Length <= max ? text : string.Create(CultureInfo.InvariantCulture, $"{text[..max]} [...]");
    }
}
