using System.Collections.Concurrent;
using System.Diagnostics;

namespace ParallelAgents.Sdk;

/// <summary>
/// Turns every run into spans of the <c>ParallelAgents</c> activity source and measurements of the <c>ParallelAgents</c>
/// meter (listed in <see cref="ParallelAgentsTelemetry"/>). Every engine has one.
/// </summary>
/// <remarks>
/// When nothing listens, each call is a listener check and returns: no <see cref="Activity"/>, no tag, no measurement.
/// Span times come from the engine's <see cref="TimeProvider"/>, as the run's result does. Spans that reports describe
/// after the fact (model calls, tool calls, commands, workspaces, merges) start at their end minus their duration.
/// </remarks>
internal sealed class TelemetryObserver(TelemetryInstruments instruments, TimeProvider time, Func<string, string> redact) : RunObserver
{
    internal const string RunSpan = "parallel_agents.run";
    internal const string AttemptSpan = "invoke_agent";
    internal const string WorkspaceSpan = "parallel_agents.workspace";
    internal const string ModelCallSpan = "chat";
    internal const string ToolCallSpan = "execute_tool";
    internal const string CommandSpan = "parallel_agents.command";
    internal const string MergeSpan = "parallel_agents.merge";

    private const string OperationTag = "gen_ai.operation.name";
    private const string TokenTypeTag = "gen_ai.token.type";
    private const string ToolNameTag = "gen_ai.tool.name";
    private const string InputTokensTag = "gen_ai.usage.input_tokens";
    private const string OutputTokensTag = "gen_ai.usage.output_tokens";
    private const string ErrorTypeTag = "error.type";
    private const string CostTag = "parallel_agents.cost";
    private const string RunIdTag = "parallel_agents.run.id";
    private const string TaskIdTag = "parallel_agents.task.id";
    private const string TaskStateTag = "parallel_agents.task.state";
    private const string AttemptStatusTag = "parallel_agents.attempt.status";
    private const string MergeStatusTag = "parallel_agents.merge.status";

    private static readonly ActivitySource Source = ParallelAgentsTelemetry.Source;
    private static readonly KeyValuePair<string, object?> ChatOperation = new(OperationTag, ModelCallSpan);
    private static readonly KeyValuePair<string, object?> InputTokenType = new(TokenTypeTag, "input");
    private static readonly KeyValuePair<string, object?> OutputTokenType = new(TokenTypeTag, "output");
    private static readonly KeyValuePair<string, object?> ToolError = new(ErrorTypeTag, "tool_error");
    private static readonly KeyValuePair<string, object?> CommandFailed = new(ErrorTypeTag, "command_failed");

    // The open attempt spans, by task and lane (a lane runs one attempt at a time); reports and merges find their parent
    // here, whatever thread they come from. Only runs that are traced touch it.
    private readonly ConcurrentDictionary<(AgentTask Task, int Lane), OpenAttempt> _attempts = new();
    private int _openAttempts;
    private Activity? _run;

    public override void RunStarted(string runId, TaskPlan plan, DateTimeOffset at)
    {
        if (!Source.HasListeners())
        {
            return;
        }

        // The caller's current activity is the parent; the run span then flows to the workers as the current one.
        Activity? run = Source.StartActivity(RunSpan, ActivityKind.Internal, parentContext: default, startTime: at);
        if (run is null)
        {
            return;
        }

        if (run.IsAllDataRequested)
        {
            run.SetTag(RunIdTag, runId);
            run.SetTag("parallel_agents.run.task_count", plan.Tasks.Count);
        }

        Volatile.Write(ref _run, run);
    }

    public override void AttemptStarted(string runId, AgentTask task, int taskIndex, int attempt, int lane, DateTimeOffset at)
    {
        if (!Source.HasListeners())
        {
            return;
        }

        // Called on the attempt's own flow before its first await: the span stays current for the rest of the attempt,
        // the agent included, so that what the agent traces nests under it.
        Activity? run = Volatile.Read(ref _run);
        ActivityContext parent = run is null || Activity.Current == run ? default : run.Context;
        Activity? span = Source.StartActivity(AttemptSpan, ActivityKind.Internal, parent, startTime: at);
        if (span is null)
        {
            return;
        }

        span.DisplayName = $"{AttemptSpan} {task.Id}";
        if (span.IsAllDataRequested)
        {
            span.SetTag(OperationTag, AttemptSpan);
            span.SetTag("gen_ai.agent.name", task.Id);
            span.SetTag(TaskIdTag, task.Id);
            span.SetTag(RunIdTag, runId);
            span.SetTag("parallel_agents.attempt", attempt);
            span.SetTag("parallel_agents.lane", lane);
            if (task.Template is not null)
            {
                span.SetTag("parallel_agents.task.template", task.Template);
            }
        }

        _attempts[(task, lane)] = new OpenAttempt(span, attempt);
        Interlocked.Increment(ref _openAttempts);
    }

    public override void WorkspaceReady(AgentTask task, int lane, IAgentWorkspace workspace, TimeSpan startTime)
    {
        if (instruments.WorkspaceStart.Enabled)
        {
            instruments.WorkspaceStart.Record(startTime.TotalSeconds);
        }

        if (!Source.HasListeners())
        {
            return;
        }

        DateTimeOffset now = time.GetUtcNow();
        Activity? previous = Activity.Current;
        Activity? span = Source.StartActivity(WorkspaceSpan, ActivityKind.Internal, ParentOf(task, lane), startTime: now - startTime);
        if (span is null)
        {
            return;
        }

        if (span.IsAllDataRequested && workspace.Branch is not null)
        {
            span.SetTag("parallel_agents.workspace.branch", workspace.Branch);
        }

        End(span, now, previous);
    }

    public override void Progress(AgentTask task, int attempt, int lane, AgentProgress progress)
    {
        switch (progress.Kind)
        {
            case AgentProgressKind.ModelCall:
                ModelCall(task, lane, progress);
                break;
            case AgentProgressKind.ToolCall:
                ToolCall(task, lane, progress);
                break;
            case AgentProgressKind.CommandRun:
                CommandRun(task, lane, progress);
                break;
            default:
                // File changes and notes are the live status's; they would only add noise to a trace.
                break;
        }
    }

    public override void AttemptEnded(AgentTask task, int taskIndex, int attempt, int lane, AttemptStatus status, TimeSpan duration, string? error, AgentUsage? usage)
    {
        string statusName = Name(status);
        if (instruments.Attempts.Enabled)
        {
            instruments.Attempts.Add(1, new KeyValuePair<string, object?>(AttemptStatusTag, statusName));
        }

        if (instruments.AttemptDuration.Enabled)
        {
            instruments.AttemptDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(AttemptStatusTag, statusName));
        }

        if (usage is not null)
        {
            if (instruments.Tokens.Enabled)
            {
                instruments.Tokens.Add(usage.InputTokens, InputTokenType);
                instruments.Tokens.Add(usage.OutputTokens, OutputTokenType);
            }

            if (instruments.Cost.Enabled && usage.Cost != 0)
            {
                instruments.Cost.Add((double)usage.Cost);
            }
        }

        if (Volatile.Read(ref _openAttempts) == 0 || !_attempts.TryGetValue((task, lane), out OpenAttempt open) || open.Attempt != attempt)
        {
            return;
        }

        if (!_attempts.TryRemove(new KeyValuePair<(AgentTask, int), OpenAttempt>((task, lane), open)))
        {
            return;
        }

        Interlocked.Decrement(ref _openAttempts);
        Activity span = open.Span;
        if (span.IsAllDataRequested)
        {
            span.SetTag(AttemptStatusTag, statusName);
            if (usage is not null)
            {
                span.SetTag(InputTokensTag, usage.InputTokens);
                span.SetTag(OutputTokensTag, usage.OutputTokens);
                span.SetTag(CostTag, (double)usage.Cost);
                span.SetTag("parallel_agents.tool_calls", usage.ToolCalls);
                span.SetTag("parallel_agents.turns", usage.Turns);
            }
        }

        if (status is AttemptStatus.Failed or AttemptStatus.TimedOut)
        {
            span.SetStatus(ActivityStatusCode.Error, error is null ? null : redact(error));
            span.SetTag(ErrorTypeTag, statusName);
        }

        End(span, new DateTimeOffset(span.StartTimeUtc) + duration, Activity.Current == span ? span.Parent : Activity.Current);
    }

    public override void TaskEnded(AgentTask task, int taskIndex, TaskState state, string? reason, DateTimeOffset at)
    {
        if (instruments.Tasks.Enabled)
        {
            instruments.Tasks.Add(1, new KeyValuePair<string, object?>(TaskStateTag, Name(state)));
        }
    }

    public override void MergeEnded(AgentTask task, MergeResult merge)
    {
        string statusName = Name(merge.Status);
        if (instruments.MergeDuration.Enabled)
        {
            instruments.MergeDuration.Record(merge.Duration.TotalSeconds, new KeyValuePair<string, object?>(MergeStatusTag, statusName));
        }

        if (merge.Conflicts.Count > 0 && instruments.ConflictsMet.Enabled)
        {
            instruments.ConflictsMet.Add(1, new KeyValuePair<string, object?>(MergeStatusTag, statusName));
        }

        if (!Source.HasListeners())
        {
            return;
        }

        Activity? previous = Activity.Current;
        Activity? span = Source.StartActivity(MergeSpan, ActivityKind.Internal, MergeParent(task), startTime: merge.CompletedAt - merge.Duration);
        if (span is null)
        {
            return;
        }

        if (span.IsAllDataRequested)
        {
            span.SetTag(TaskIdTag, task.Id);
            span.SetTag("parallel_agents.merge.branch", merge.Branch);
            span.SetTag(MergeStatusTag, statusName);
            span.SetTag("parallel_agents.merge.conflicts", merge.Conflicts.Count);
            if (merge.Resolver is not null)
            {
                span.SetTag("parallel_agents.merge.resolver", merge.Resolver);
            }

            if (merge.MergedCommit is not null)
            {
                span.SetTag("parallel_agents.merge.commit", merge.MergedCommit);
            }
        }

        if (!merge.ReachedMain && merge.Status != MergeStatus.Skipped)
        {
            span.SetStatus(ActivityStatusCode.Error, merge.Message is null ? null : redact(merge.Message));
            span.SetTag(ErrorTypeTag, statusName);
        }

        End(span, merge.CompletedAt, previous);
    }

    public override void ConflictForecast(ConflictForecast forecast, bool cleared)
    {
        if (!cleared && instruments.ConflictsPredicted.Enabled)
        {
            instruments.ConflictsPredicted.Add(1, new KeyValuePair<string, object?>("parallel_agents.conflict.with", forecast.IsWithMain ? "main" : "task"));
        }
    }

    public override void RunEnded(RunResult result)
    {
        if (instruments.RunDuration.Enabled)
        {
            instruments.RunDuration.Record(result.Duration.TotalSeconds);
        }

        // Attempts whose agents did not stop within the grace period end with the run; their late end is then ignored.
        if (Volatile.Read(ref _openAttempts) != 0)
        {
            foreach (KeyValuePair<(AgentTask Task, int Lane), OpenAttempt> open in _attempts)
            {
                if (_attempts.TryRemove(open))
                {
                    Interlocked.Decrement(ref _openAttempts);
                    open.Value.Span.SetStatus(ActivityStatusCode.Error, "the run ended before this attempt's agent stopped");
                    End(open.Value.Span, result.CompletedAt, Activity.Current);
                }
            }
        }

        Activity? run = Interlocked.Exchange(ref _run, null);
        if (run is null)
        {
            return;
        }

        if (run.IsAllDataRequested)
        {
            int failed = result.Count(TaskState.Failed);
            run.SetTag("parallel_agents.run.succeeded", result.Count(TaskState.Succeeded));
            run.SetTag("parallel_agents.run.failed", failed);
            run.SetTag("parallel_agents.run.skipped", result.Count(TaskState.Skipped));
            run.SetTag("parallel_agents.run.cancelled", result.Count(TaskState.Cancelled));
            run.SetTag("parallel_agents.run.was_cancelled", result.WasCancelled);
            if (failed > 0)
            {
                run.SetStatus(ActivityStatusCode.Error, failed == 1 ? "1 task failed" : $"{failed} tasks failed");
            }
        }

        End(run, result.CompletedAt, Activity.Current == run ? run.Parent : Activity.Current);
    }

    private void ModelCall(AgentTask task, int lane, AgentProgress progress)
    {
        if (instruments.ModelTokens.Enabled)
        {
            instruments.ModelTokens.Record(progress.InputTokens, ChatOperation, InputTokenType);
            instruments.ModelTokens.Record(progress.OutputTokens, ChatOperation, OutputTokenType);
        }

        if (progress.Duration is { } duration && instruments.ModelDuration.Enabled)
        {
            instruments.ModelDuration.Record(duration.TotalSeconds, ChatOperation);
        }

        if (!Source.HasListeners())
        {
            return;
        }

        DateTimeOffset now = time.GetUtcNow();
        Activity? previous = Activity.Current;
        Activity? span = Source.StartActivity(ModelCallSpan, ActivityKind.Client, ParentOf(task, lane), startTime: now - Positive(progress.Duration));
        if (span is null)
        {
            return;
        }

        if (span.IsAllDataRequested)
        {
            span.SetTag(OperationTag, ModelCallSpan);
            span.SetTag(InputTokensTag, progress.InputTokens);
            span.SetTag(OutputTokensTag, progress.OutputTokens);
            span.SetTag(CostTag, (double)progress.Cost);
        }

        End(span, now, previous);
    }

    private void ToolCall(AgentTask task, int lane, AgentProgress progress)
    {
        string name = progress.Name ?? "unknown";
        bool failed = progress.Succeeded == false;
        if (instruments.ToolCalls.Enabled)
        {
            var tool = new KeyValuePair<string, object?>(ToolNameTag, name);
            if (failed)
            {
                instruments.ToolCalls.Add(1, tool, ToolError);
            }
            else
            {
                instruments.ToolCalls.Add(1, tool);
            }
        }

        if (!Source.HasListeners())
        {
            return;
        }

        DateTimeOffset now = time.GetUtcNow();
        Activity? previous = Activity.Current;
        Activity? span = Source.StartActivity(ToolCallSpan, ActivityKind.Internal, ParentOf(task, lane), startTime: now - Positive(progress.Duration));
        if (span is null)
        {
            return;
        }

        span.DisplayName = $"{ToolCallSpan} {name}";
        if (span.IsAllDataRequested)
        {
            span.SetTag(OperationTag, ToolCallSpan);
            span.SetTag(ToolNameTag, name);
        }

        if (failed)
        {
            span.SetStatus(ActivityStatusCode.Error);
            span.SetTag(ToolError.Key, ToolError.Value);
        }

        End(span, now, previous);
    }

    private void CommandRun(AgentTask task, int lane, AgentProgress progress)
    {
        bool failed = progress.Succeeded == false;
        if (instruments.Commands.Enabled)
        {
            if (failed)
            {
                instruments.Commands.Add(1, CommandFailed);
            }
            else
            {
                instruments.Commands.Add(1);
            }
        }

        if (progress.Duration is { } duration && instruments.CommandDuration.Enabled)
        {
            if (failed)
            {
                instruments.CommandDuration.Record(duration.TotalSeconds, CommandFailed);
            }
            else
            {
                instruments.CommandDuration.Record(duration.TotalSeconds);
            }
        }

        if (!Source.HasListeners())
        {
            return;
        }

        DateTimeOffset now = time.GetUtcNow();
        Activity? previous = Activity.Current;
        Activity? span = Source.StartActivity(CommandSpan, ActivityKind.Internal, ParentOf(task, lane), startTime: now - Positive(progress.Duration));
        if (span is null)
        {
            return;
        }

        if (span.IsAllDataRequested && progress.Name is not null)
        {
            span.SetTag("process.command_line", redact(progress.Name));
        }

        if (failed)
        {
            span.SetStatus(ActivityStatusCode.Error);
            span.SetTag(CommandFailed.Key, CommandFailed.Value);
        }

        End(span, now, previous);
    }

    /// <summary>The attempt span of <paramref name="task"/>'s <paramref name="lane"/>, or the current activity when it has none.</summary>
    private ActivityContext ParentOf(AgentTask task, int lane) =>
        Volatile.Read(ref _openAttempts) != 0 && _attempts.TryGetValue((task, lane), out OpenAttempt open) ? open.Span.Context : default;

    /// <summary>The attempt that merges: the current activity (merges run on the attempt's flow), else any open attempt of the task.</summary>
    private ActivityContext MergeParent(AgentTask task)
    {
        Activity? current = Activity.Current;
        if (current is not null && current.Source == Source && current.OperationName == AttemptSpan)
        {
            return default;
        }

        for (int lane = 0; lane < task.AgentCount; lane++)
        {
            ActivityContext parent = ParentOf(task, lane);
            if (parent != default)
            {
                return parent;
            }
        }

        return default;
    }

    /// <summary>Stops <paramref name="span"/> at <paramref name="end"/> and makes <paramref name="current"/> the current
    /// activity again (stopping a span makes its parent current, which is not always what was current before).</summary>
    private static void End(Activity span, DateTimeOffset end, Activity? current)
    {
        if (end.UtcDateTime > span.StartTimeUtc)
        {
            span.SetEndTime(end.UtcDateTime);
        }

        span.Stop();
        if (Activity.Current != current && current is not { IsStopped: true })
        {
            Activity.Current = current;
        }
    }

    private static TimeSpan Positive(TimeSpan? duration) => duration is { } d && d > TimeSpan.Zero ? d : TimeSpan.Zero;

    private static string Name(AttemptStatus status) => status switch
    {
        AttemptStatus.Succeeded => "succeeded",
        AttemptStatus.Failed => "failed",
        AttemptStatus.TimedOut => "timed_out",
        AttemptStatus.Cancelled => "cancelled",
        _ => "unknown",
    };

    private static string Name(TaskState state) => state switch
    {
        TaskState.Succeeded => "succeeded",
        TaskState.Failed => "failed",
        TaskState.Skipped => "skipped",
        TaskState.Cancelled => "cancelled",
        _ => "unknown",
    };

    private static string Name(MergeStatus status) => status switch
    {
        MergeStatus.Merged => "merged",
        MergeStatus.Resolved => "resolved",
        MergeStatus.Conflict => "conflict",
        MergeStatus.VerifyFailed => "verify_failed",
        MergeStatus.Skipped => "skipped",
        _ => "unknown",
    };

    private readonly record struct OpenAttempt(Activity Span, int Attempt);
}
