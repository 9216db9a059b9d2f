using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>
/// Writes <c>status_&lt;unix-time&gt;.json</c> (the original coordinator's report: <c>timestamp</c>, <c>agents</c> by
/// name with <c>files</c>, <c>last_activity</c> and <c>status</c>, and <c>summary</c> with <c>total_agents</c>,
/// <c>active_agents</c> and <c>total_files</c>, each with more fields beside them) and <c>run_&lt;run-id&gt;.json</c>
/// (the run's final summary). Files are written whole or not at all (a temporary file renamed into place), and every
/// text that came from an agent, a command or a model goes through the redactor first.
/// </summary>
internal static class StatusReports
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the status file of <paramref name="status"/> and returns its full path.</summary>
    public static string WriteStatus(string directory, RunStatus status, Func<string, string> redact)
    {
        string path = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"status_{status.Timestamp.ToUnixTimeSeconds()}.json"));
        WriteAtomically(path, StatusJson(status, redact));
        return path;
    }

    /// <summary>Writes the run's final report and returns its full path.</summary>
    public static string WriteRun(string directory, RunResult result, RunStatus final, Func<string, string> redact)
    {
        string path = Path.Combine(directory, $"run_{FileSafe(result.RunId)}.json");
        WriteAtomically(path, RunJson(result, final, redact));
        return path;
    }

    internal static byte[] StatusJson(RunStatus status, Func<string, string> redact)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", Timestamp(status.Timestamp));
            json.WriteString("run_id", status.RunId);
            json.WriteStartObject("agents");
            foreach (AgentStatus agent in status.Agents)
            {
                json.WritePropertyName(agent.Name);
                WriteAgent(json, agent, redact);
            }

            json.WriteEndObject();
            json.WriteStartObject("summary");
            json.WriteNumber("total_agents", status.Summary.TotalAgents);
            json.WriteNumber("active_agents", status.Summary.ActiveAgents);
            json.WriteNumber("total_files", status.Summary.TotalFiles);
            json.WriteNumber("running_agents", status.Summary.RunningAgents);
            json.WriteNumber("tool_calls", status.Summary.ToolCalls);
            json.WriteNumber("input_tokens", status.Summary.InputTokens);
            json.WriteNumber("output_tokens", status.Summary.OutputTokens);
            json.WriteNumber("cost", status.Summary.Cost);
            json.WriteNumber("elapsed_seconds", Seconds(status.Elapsed));
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    internal static byte[] RunJson(RunResult result, RunStatus final, Func<string, string> redact)
    {
        var agentsByTask = final.Agents.ToLookup(a => a.TaskId, StringComparer.Ordinal);
        var mergeByTask = new Dictionary<string, MergeResult>(StringComparer.Ordinal);
        foreach (MergeResult merge in result.Merges)
        {
            // The last merge of a task is the one that counts (a conflicted one may be followed by a resolved rerun).
            mergeByTask[merge.TaskId] = merge;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("run_id", result.RunId);
            json.WriteString("started_at", Timestamp(result.StartedAt));
            json.WriteString("completed_at", Timestamp(result.CompletedAt));
            json.WriteNumber("duration_seconds", Seconds(result.Duration));
            json.WriteBoolean("succeeded", result.Succeeded);
            json.WriteBoolean("was_cancelled", result.WasCancelled);
            json.WriteString("merge_summary_path", result.MergeSummaryPath);
            json.WriteStartObject("summary");
            json.WriteNumber("total_tasks", result.Tasks.Count);
            foreach (TaskState state in (ReadOnlySpan<TaskState>)[TaskState.Succeeded, TaskState.Failed, TaskState.Skipped, TaskState.Cancelled])
            {
                json.WriteNumber(StateName(state), result.Count(state));
            }

            json.WriteNumber("total_agents", final.Summary.TotalAgents);
            json.WriteNumber("total_files", final.Summary.TotalFiles);
            json.WriteNumber("merged", result.Merges.Count(m => m.ReachedMain));
            json.WriteNumber("tool_calls", final.Summary.ToolCalls);
            json.WriteNumber("input_tokens", final.Summary.InputTokens);
            json.WriteNumber("output_tokens", final.Summary.OutputTokens);
            json.WriteNumber("cost", final.Summary.Cost);
            json.WriteEndObject();

            json.WriteStartArray("tasks");
            foreach (TaskResult task in result.Tasks)
            {
                AgentStatus[] agents = [.. agentsByTask[task.TaskId]];
                json.WriteStartObject();
                json.WriteString("task_id", task.TaskId);
                json.WriteString("state", StateName(task.State));
                json.WriteString("started_at", task.StartedAt is { } started ? Timestamp(started) : null);
                json.WriteString("completed_at", task.CompletedAt is { } completed ? Timestamp(completed) : null);
                json.WriteNumber("duration_seconds", Seconds(task.Duration));
                json.WriteNumber("attempt_count", task.Attempts.Count);
                WriteText(json, "error", task.Error, redact);
                WriteText(json, "summary", task.Summary, redact);
                json.WriteNumber("tool_calls", agents.Sum(a => a.ToolCalls));
                json.WriteNumber("input_tokens", agents.Sum(a => a.InputTokens));
                json.WriteNumber("output_tokens", agents.Sum(a => a.OutputTokens));
                json.WriteNumber("cost", agents.Sum(a => a.Cost));
                WriteStrings(json, "files_changed", agents.SelectMany(a => a.FilesChanged).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal), redact);

                json.WriteStartArray("attempts");
                foreach (AttemptResult attempt in task.Attempts)
                {
                    WriteAttempt(json, attempt, redact);
                }

                json.WriteEndArray();
                json.WritePropertyName("merge");
                if (mergeByTask.TryGetValue(task.TaskId, out MergeResult? merge))
                {
                    WriteMerge(json, merge, redact);
                }
                else
                {
                    json.WriteNullValue();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Snake-case names of task states, as the reports spell them.</summary>
    public static string StateName(TaskState state) => state switch
    {
        TaskState.Pending => "pending",
        TaskState.Queued => "queued",
        TaskState.Running => "running",
        TaskState.Retrying => "retrying",
        TaskState.Succeeded => "succeeded",
        TaskState.Failed => "failed",
        TaskState.Skipped => "skipped",
        TaskState.Cancelled => "cancelled",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static string AttemptStatusName(AttemptStatus status) => status switch
    {
        AttemptStatus.Succeeded => "succeeded",
        AttemptStatus.Failed => "failed",
        AttemptStatus.TimedOut => "timed_out",
        AttemptStatus.Cancelled => "cancelled",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static void WriteAgent(Utf8JsonWriter json, AgentStatus agent, Func<string, string> redact)
    {
        json.WriteStartObject();
        // The original coordinator's three fields, as it wrote them.
        json.WriteNumber("files", agent.FilesChanged.Count);
        json.WriteString("last_activity", agent.LastActivity is { } last
            ? last.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)
            : "No activity");
        json.WriteString("status", agent.IsActive ? "Active" : "Idle");

        json.WriteString("task_id", agent.TaskId);
        json.WriteNumber("lane", agent.Lane);
        json.WriteString("state", StateName(agent.State));
        json.WriteNumber("attempt", agent.Attempt);
        WriteStrings(json, "files_changed", agent.FilesChanged, redact);
        json.WriteString("last_activity_at", agent.LastActivity is { } at ? Timestamp(at) : null);
        WriteText(json, "last_action", agent.LastAction, redact);
        json.WriteNumber("tool_calls", agent.ToolCalls);
        json.WriteNumber("input_tokens", agent.InputTokens);
        json.WriteNumber("output_tokens", agent.OutputTokens);
        json.WriteNumber("cost", agent.Cost);
        json.WriteString("started_at", agent.StartedAt is { } started ? Timestamp(started) : null);
        json.WriteNumber("elapsed_seconds", Seconds(agent.Elapsed));
        json.WriteEndObject();
    }

    private static void WriteAttempt(Utf8JsonWriter json, AttemptResult attempt, Func<string, string> redact)
    {
        json.WriteStartObject();
        json.WriteNumber("attempt", attempt.Attempt);
        json.WriteNumber("lane", attempt.Lane);
        json.WriteString("status", AttemptStatusName(attempt.Status));
        json.WriteString("started_at", Timestamp(attempt.StartedAt));
        json.WriteNumber("duration_seconds", Seconds(attempt.Duration));
        WriteText(json, "error", attempt.Error, redact);
        json.WriteBoolean("transient", attempt.IsTransient);
        if (attempt.Usage is { } usage)
        {
            json.WriteNumber("turns", usage.Turns);
            json.WriteNumber("tool_calls", usage.ToolCalls);
            json.WriteNumber("input_tokens", usage.InputTokens);
            json.WriteNumber("output_tokens", usage.OutputTokens);
            json.WriteNumber("cost", usage.Cost);
        }

        json.WriteEndObject();
    }

    private static void WriteMerge(Utf8JsonWriter json, MergeResult merge, Func<string, string> redact)
    {
        json.WriteStartObject();
        json.WriteString("status", MergeReports.StatusName(merge.Status));
        json.WriteString("branch", merge.Branch);
        json.WriteBoolean("reached_main", merge.ReachedMain);
        json.WriteString("merged_commit", merge.MergedCommit);
        json.WriteString("resolver", merge.Resolver);
        json.WriteNumber("conflicts", merge.Conflicts.Count);
        WriteText(json, "message", merge.Message, redact);
        WriteStrings(json, "files", merge.Files, redact);
        json.WriteString("report_path", merge.ReportPath);
        json.WriteNumber("duration_seconds", Seconds(merge.Duration));
        json.WriteEndObject();
    }

    private static void WriteText(Utf8JsonWriter json, string name, string? text, Func<string, string> redact) =>
        json.WriteString(name, text is null ? null : redact(text));

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values, Func<string, string> redact)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(redact(value));
        }

        json.WriteEndArray();
    }

    /// <summary>UTC, ISO 8601 with milliseconds, as the original's <c>datetime.utcnow().isoformat()</c> plus the zone.</summary>
    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static double Seconds(TimeSpan span) => Math.Round(span.TotalSeconds, 3);

    private static string FileSafe(string name)
    {
        char[] invalid = Path.GetInvalidFileNameChars();
        return string.Create(name.Length, name, (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                span[i] = Array.IndexOf(invalid, source[i]) >= 0 ? '_' : source[i];
            }
        });
    }

    /// <summary>Writes a temporary file beside <paramref name="path"/> and renames it into place, so that a reader never
    /// sees half a report and a crash leaves the last whole one.</summary>
    private static void WriteAtomically(string path, byte[] content)
    {
        string directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temporary, content);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
