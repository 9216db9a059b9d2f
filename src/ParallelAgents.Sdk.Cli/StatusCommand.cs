using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ParallelAgents.Sdk.Cli;

/// <summary><c>status [run]</c>: where a run stands, from its journal, with each task's tool calls, tokens and files
/// from the run's reports (<c>run_&lt;id&gt;.json</c> once it ended, the latest <c>status_*.json</c> while it runs).</summary>
internal static class StatusCommand
{
    public static Command Create(CliOutput output)
    {
        var run = new Argument<string?>("run") { Description = "The run's id (default: the latest run).", Arity = ArgumentArity.ZeroOrOne };
        var repo = CommonOptions.Repository();
        var reports = new Option<string?>("--reports") { Description = "The reports folder the run wrote to (default: reports in the repository)." };
        var json = CommonOptions.Json();
        var status = new Command("status", "Shows where a run stands: whether it ended, each task's state, attempts and merge, and its tool calls, tokens and files.")
        {
            run, repo, reports, json,
        };
        status.SetAction(CliApp.Guarded(output, async (parse, cancellationToken) =>
        {
            string repository = Paths.Repository(parse.GetValue(repo));
            string state = RunJournals.StateDirectory(repository);
            string reportsPath = Paths.InRepository(repository, parse.GetValue(reports), "reports");
            IReadOnlyList<string> ids = RunJournals.Ids(state);
            string? runId = parse.GetValue(run) ?? (ids.Count == 0 ? null : ids[^1]);
            if (runId is null)
            {
                await output.Error.WriteLineAsync($"No run of {repository} has a journal yet ({Path.Combine(state, "runs")}); start one with 'parallel-agents run tasks.yaml'.").ConfigureAwait(false);
                return ExitCodes.InvalidInput;
            }

            RunJournalState journal = RunJournals.Read(state, runId);
            Usage usage = Usage.Read(reportsPath, runId, journal.Ended);
            var tasks = journal.Plan.Tasks.Select((task, i) => (Task: task, Journal: journal.Tasks[i], Usage: usage.Of(task.Id))).ToList();
            if (parse.GetValue(json))
            {
                await output.Out.WriteLineAsync(Json.Write(new JsonObject
                {
                    ["runId"] = runId,
                    ["ended"] = journal.Ended,
                    ["resumable"] = RunJournals.Unfinished(journal),
                    ["journal"] = journal.Path,
                    ["report"] = usage.Path,
                    ["tasks"] = new JsonArray([.. tasks.Select(t => (JsonNode)new JsonObject
                    {
                        ["id"] = t.Task.Id,
                        ["state"] = t.Journal.State is { } s ? Json.Name(s) : null,
                        ["attemptsStarted"] = t.Journal.AttemptsStarted,
                        ["merge"] = t.Journal.Merge is { } m ? Json.Name(m.Status) : null,
                        ["reason"] = t.Journal.Reason,
                        ["toolCalls"] = t.Usage?.ToolCalls,
                        ["tokens"] = t.Usage?.Tokens,
                        ["files"] = t.Usage is null ? null : new JsonArray([.. t.Usage.Files.Select(f => (JsonNode)JsonValue.Create(f)!)]),
                        ["lastAction"] = t.Usage?.LastAction,
                    })]),
                })).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            TextWriter o = output.Out;
            int Count(TaskState s) => journal.Tasks.Count(t => t.State == s);
            await o.WriteLineAsync(journal.Ended
                ? $"Run {runId}: ended; {Count(TaskState.Succeeded)} succeeded, {Count(TaskState.Failed)} failed, {Count(TaskState.Skipped)} skipped, {Count(TaskState.Cancelled)} cancelled."
                  + (journal.Resumable ? $" Tasks were cancelled with it: 'parallel-agents resume {runId}' runs them." : "")
                : $"Run {runId}: not ended ({journal.Tasks.Count(t => t.IsDone)} of {journal.Tasks.Length} task(s) done): it is running, or its process died; 'parallel-agents resume {runId}' finishes it.").ConfigureAwait(false);
            await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {"task",-24} {"state",-10} {"attempts",8} {"merge",-9} {"tools",5} {"tokens",8} {"files",5}  last action")).ConfigureAwait(false);
            foreach (var (task, journaled, used) in tasks)
            {
                string stateText = journaled.State?.ToString() ?? (journal.Ended ? "Cancelled" : "not ended");
                await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  {task.Id,-24} {stateText,-10} {journaled.AttemptsStarted,8} {(journaled.Merge is { } m ? Json.Name(m.Status) : "-"),-9} {used?.ToolCalls.ToString(CultureInfo.InvariantCulture) ?? "-",5} {used?.Tokens.ToString(CultureInfo.InvariantCulture) ?? "-",8} {used?.Files.Count.ToString(CultureInfo.InvariantCulture) ?? "-",5}  {used?.LastAction ?? ""}")).ConfigureAwait(false);
                if (journaled.Reason is { } reason && journaled.State is not TaskState.Succeeded)
                {
                    await o.WriteLineAsync("      " + reason.ReplaceLineEndings(" ")).ConfigureAwait(false);
                }
            }

            await o.WriteLineAsync($"Journal: {journal.Path}").ConfigureAwait(false);
            await o.WriteLineAsync(usage.Path is null ? $"No report of this run in {reportsPath}." : $"Report: {usage.Path}").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return status;
    }

    /// <summary>What each task's agents used, from the run's report files.</summary>
    private sealed class Usage
    {
        private readonly Dictionary<string, TaskUsage> _byTask = new(StringComparer.Ordinal);

        public string? Path { get; private set; }

        public TaskUsage? Of(string taskId) => _byTask.GetValueOrDefault(taskId);

        /// <summary>The run's final report when it ended, else its newest status report; none when neither is there.</summary>
        public static Usage Read(string reports, string runId, bool ended)
        {
            var usage = new Usage();
            string final = System.IO.Path.Combine(reports, $"run_{runId}.json");
            try
            {
                if (File.Exists(final))
                {
                    usage.Path = final;
                    using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(final));
                    foreach (JsonElement task in document.RootElement.GetProperty("tasks").EnumerateArray())
                    {
                        usage._byTask[task.GetProperty("task_id").GetString()!] = new TaskUsage(
                            task.GetProperty("tool_calls").GetInt64(),
                            task.GetProperty("input_tokens").GetInt64() + task.GetProperty("output_tokens").GetInt64(),
                            [.. task.GetProperty("files_changed").EnumerateArray().Select(f => f.GetString()!)],
                            null);
                    }

                    return usage;
                }

                if (ended || !Directory.Exists(reports))
                {
                    return usage;
                }

                // The newest status report of this run: its agents by name, several per task when it has several lanes.
                foreach (string path in Directory.EnumerateFiles(reports, "status_*.json").OrderDescending(StringComparer.Ordinal))
                {
                    using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
                    if (document.RootElement.GetProperty("run_id").GetString() != runId)
                    {
                        continue;
                    }

                    usage.Path = path;
                    foreach (JsonProperty agent in document.RootElement.GetProperty("agents").EnumerateObject())
                    {
                        JsonElement a = agent.Value;
                        string taskId = a.GetProperty("task_id").GetString()!;
                        TaskUsage lane = new(
                            a.GetProperty("tool_calls").GetInt64(),
                            a.GetProperty("input_tokens").GetInt64() + a.GetProperty("output_tokens").GetInt64(),
                            [.. a.GetProperty("files_changed").EnumerateArray().Select(f => f.GetString()!)],
                            a.TryGetProperty("last_action", out JsonElement action) ? action.GetString() : null);
                        usage._byTask[taskId] = usage._byTask.TryGetValue(taskId, out TaskUsage? other) ? other.Add(lane) : lane;
                    }

                    break;
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
            {
                // A report from another version, or one being replaced: the journal still says where the run stands.
                usage._byTask.Clear();
                usage.Path = null;
            }

            return usage;
        }
    }

    private sealed record TaskUsage(long ToolCalls, long Tokens, IReadOnlyList<string> Files, string? LastAction)
    {
        public TaskUsage Add(TaskUsage other) =>
            new(ToolCalls + other.ToolCalls, Tokens + other.Tokens, [.. Files.Union(other.Files, StringComparer.Ordinal)], LastAction ?? other.LastAction);
    }
}
