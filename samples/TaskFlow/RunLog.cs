using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TaskFlow;

/// <summary>The run's live console log: the engine's events and each agent's tool calls as they happen, one line
/// each, with the time since the start; and each conversation's usage, for the summary.</summary>
internal sealed class RunLog
{
    private readonly TextWriter _output;
    private readonly object _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<ConversationKey, Usage> _usage = new();

    private readonly bool _logEvents;

    /// <param name="output">Where the lines go.</param>
    /// <param name="logEvents">Whether the engine's events and the agents' tool calls get a line each; without, only
    /// <see cref="Line"/> writes (a live table shows the rest) and the usage is still counted.</param>
    public RunLog(TextWriter output, bool logEvents = true)
    {
        _output = output;
        _logEvents = logEvents;
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    public IReadOnlyDictionary<ConversationKey, Usage> UsageByConversation => _usage;

    public void Line(string text)
    {
        lock (_gate)
        {
            _output.WriteLine(text);
        }
    }

    /// <summary>One model answer: a line per tool call it makes.</summary>
    public void Answered(ConversationKey key, ChatResponse response)
    {
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        long tokens = response.Usage?.TotalTokenCount ?? 0;
        Usage usage = _usage.GetOrAdd(key, _ => new Usage());
        bool first = usage.Add(calls.Count, response.Usage);
        string who = key.IsRerun ? key.TaskId + "*" : key.TaskId;
        if (first && key.IsRerun)
        {
            Task(who, "re-run on the new main to resolve a merge conflict (rerun-agent); * marks the re-run");
        }

        if (calls.Count == 0)
        {
            Task(who, $"says: {Shorten(response.Text, 90)} ({tokens:N0} tokens)");
            return;
        }

        for (int i = 0; i < calls.Count; i++)
        {
            Task(who, $"{calls[i].Name,-16} {Describe(calls[i])}{(i == calls.Count - 1 ? $"  ({tokens:N0} tokens)" : "")}");
        }
    }

    public void Event(AgentEvent e)
    {
        switch (e.Kind)
        {
            case AgentEventKind.RunStarted:
                Task("run", e.Message ?? "started");
                break;
            case AgentEventKind.TaskQueued:
                Task(e.TaskId, "queued: its dependencies are merged");
                break;
            case AgentEventKind.TaskStarted:
                Task(e.TaskId, $"started (attempt {e.Attempt}) in its own worktree on branch agent/{e.TaskId}");
                break;
            case AgentEventKind.TaskSucceeded:
                Task(e.TaskId, "SUCCEEDED: checks passed, merged into main");
                break;
            case AgentEventKind.TaskFailed:
                Task(e.TaskId, $"FAILED: {e.Message}");
                break;
            case AgentEventKind.BranchMerged when e.Merge is { } merge:
                Task(e.TaskId, Merged(merge));
                break;
            case AgentEventKind.MergeFailed when e.Merge is { } merge:
                Task(e.TaskId, $"MERGE FAILED ({merge.Status}): {merge.Message}");
                break;
            case AgentEventKind.ConflictPredicted when e.Forecast is { } forecast:
                Task(e.TaskId, $"conflict predicted with {forecast.OtherTaskId ?? "main"} in {string.Join(", ", forecast.Conflicts.Select(c => c.Path))} (before any merge)");
                break;
            case AgentEventKind.RunCompleted:
                Task("run", "completed");
                break;
            case AgentEventKind.ConflictCleared:
                break;
            default:
                Task(e.TaskId ?? "run", $"{e.Kind}{(e.Message is null ? "" : ": " + e.Message)}");
                break;
        }
    }

    private static string Merged(MergeResult merge)
    {
        if (merge.Status == MergeStatus.Resolved)
        {
            string conflicts = string.Join(", ", merge.Conflicts.Select(c =>
                $"{c.Path} (lines {string.Join(", ", c.OursLines)} on main, {string.Join(", ", c.TheirsLines)} on its branch{(c.OtherTaskId is null ? "" : ", against " + c.OtherTaskId)})"));
            return $"CONFLICT in {conflicts}: resolved by {merge.Resolver}, merged into main ({merge.Files.Count} files)";
        }

        return $"merged into main ({merge.Status}, {merge.Files.Count} files: {Shorten(string.Join(", ", merge.Files), 80)})";
    }

    private void Task(string? who, string text)
    {
        if (_logEvents)
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,6:0.00}s  {who,-21} {text}"));
        }
    }

    private static string Describe(FunctionCallContent call)
    {
        IDictionary<string, object?> args = call.Arguments ?? new Dictionary<string, object?>();
        string Arg(string name) => args.TryGetValue(name, out object? value) && value is not null
            ? value is JsonElement { ValueKind: JsonValueKind.String } s ? s.GetString()! : value.ToString()!
            : "";
        return call.Name switch
        {
            "read_file" or "write_file" or "delete_file" => Arg("path"),
            "edit_file" => $"{Arg("path")} ({Lines(Arg("old_text"))} line(s) -> {Lines(Arg("new_text"))})",
            "run_command" => Shorten(Arg("command"), 70),
            "memory_get" => Arg("key"),
            "memory_list" => Arg("prefix"),
            "report_discovery" => "discoveries/" + Arg("name"),
            "report_conflict" => "conflicts/" + Arg("name"),
            "finish" => Shorten(Arg("summary"), 70),
            "search" => Arg("pattern"),
            _ => Shorten(string.Join(", ", args.Select(a => $"{a.Key}={a.Value}")), 70),
        };
    }

    private static int Lines(string text) => text.Length == 0 ? 0 : text.TrimEnd('\n').Split('\n').Length;

    private static string Shorten(string? text, int max)
    {
        text = (text ?? "").ReplaceLineEndings(" ").Trim();
        return text.Length <= max ? text : text[..(max - 1)] + "…";
    }

    /// <summary>What one conversation used: model calls, tool calls and tokens.</summary>
    internal sealed class Usage
    {
        private long _turns;
        private long _toolCalls;
        private long _input;
        private long _output;

        public long Turns => Interlocked.Read(ref _turns);

        public long ToolCalls => Interlocked.Read(ref _toolCalls);

        public long InputTokens => Interlocked.Read(ref _input);

        public long OutputTokens => Interlocked.Read(ref _output);

        /// <summary>Adds one answer; true for the conversation's first.</summary>
        public bool Add(int toolCalls, UsageDetails? usage)
        {
            Interlocked.Add(ref _toolCalls, toolCalls);
            Interlocked.Add(ref _input, usage?.InputTokenCount ?? 0);
            Interlocked.Add(ref _output, usage?.OutputTokenCount ?? 0);
            return Interlocked.Increment(ref _turns) == 1;
        }
    }
}
