using System.Globalization;

namespace ParallelAgents.Sdk;

/// <summary>The live record of one agent (one lane of one task) in a run. Every member takes the tracker's lock: the
/// agent's worker and its progress reports write, snapshots read, from any thread.</summary>
internal sealed class LaneTracker(string name, string taskId, int lane)
{
    private const int MaxActionChars = 200;

    private readonly object _gate = new();
    private SortedSet<string>? _files;
    private TaskState _state = TaskState.Pending;
    private int _attempt;
    private DateTimeOffset? _startedAt;
    private DateTimeOffset _attemptStartedAt;
    private DateTimeOffset? _endedAt;
    private DateTimeOffset? _lastActivity;
    private string? _lastAction;

    // What ended attempts used, and what the running attempt has reported so far.
    private long _doneInput;
    private long _doneOutput;
    private decimal _doneCost;
    private int _doneTools;
    private long _input;
    private long _output;
    private decimal _cost;
    private int _tools;

    public void AttemptStarted(int attempt, DateTimeOffset at)
    {
        lock (_gate)
        {
            _state = TaskState.Running;
            _attempt = attempt;
            _startedAt ??= at;
            _attemptStartedAt = at;
            _endedAt = null;
            _lastActivity = at;
        }
    }

    /// <summary>Records a report; returns the description of it shown as <see cref="AgentStatus.LastAction"/>.</summary>
    public string Progress(AgentProgress progress, DateTimeOffset at, Func<string, string> redact)
    {
        string action = Describe(progress, redact);
        string? path = progress.Kind == AgentProgressKind.FileChanged && !string.IsNullOrEmpty(progress.Path) ? redact(progress.Path) : null;
        lock (_gate)
        {
            _lastActivity = at;
            _lastAction = action;
            switch (progress.Kind)
            {
                case AgentProgressKind.ModelCall:
                    _input += progress.InputTokens;
                    _output += progress.OutputTokens;
                    _cost += progress.Cost;
                    break;
                case AgentProgressKind.ToolCall:
                    _tools++;
                    break;
                case AgentProgressKind.FileChanged when path is not null:
                    (_files ??= new SortedSet<string>(StringComparer.Ordinal)).Add(path);
                    break;
            }
        }

        return action;
    }

    public void AddFiles(IEnumerable<string> files, Func<string, string> redact)
    {
        string[] clean = [.. files.Select(redact)];
        lock (_gate)
        {
            // Made on first use: most trackers of a large plan of quick tasks never see a file.
            (_files ??= new SortedSet<string>(StringComparer.Ordinal)).UnionWith(clean);
        }
    }

    public void AttemptEnded(AttemptStatus status, TimeSpan duration, AgentUsage? usage)
    {
        lock (_gate)
        {
            _state = status switch
            {
                AttemptStatus.Succeeded => TaskState.Succeeded,
                AttemptStatus.Cancelled => TaskState.Cancelled,
                _ => TaskState.Failed,
            };
            _endedAt = _attemptStartedAt + duration;
            if (_lastActivity is null || _lastActivity < _endedAt)
            {
                _lastActivity = _endedAt;
            }

            // An agent may report its calls as it goes, return their total in its outcome, or both: the larger counts,
            // so that nothing is counted twice and nothing is lost.
            _doneInput += Math.Max(_input, usage?.InputTokens ?? 0);
            _doneOutput += Math.Max(_output, usage?.OutputTokens ?? 0);
            _doneCost += Math.Max(_cost, usage?.Cost ?? 0m);
            _doneTools += Math.Max(_tools, usage?.ToolCalls ?? 0);
            _input = 0;
            _output = 0;
            _cost = 0m;
            _tools = 0;
        }
    }

    /// <param name="now">The time the snapshot is for.</param>
    /// <param name="idleThreshold">How long without activity makes a running agent Idle.</param>
    /// <param name="extraFiles">More files the agent changed (its merged branch's), or <see langword="null"/>.</param>
    public AgentStatus Snapshot(DateTimeOffset now, TimeSpan idleThreshold, IReadOnlyList<string>? extraFiles)
    {
        lock (_gate)
        {
            IReadOnlyList<string> files;
            if (extraFiles is { Count: > 0 } && _state == TaskState.Succeeded)
            {
                var union = new SortedSet<string>(extraFiles, StringComparer.Ordinal);
                if (_files is not null)
                {
                    union.UnionWith(_files);
                }

                files = [.. union];
            }
            else
            {
                files = _files is null ? [] : [.. _files];
            }

            bool running = _state == TaskState.Running;
            DateTimeOffset end = running ? now : _endedAt ?? now;
            return new AgentStatus
            {
                Name = name,
                TaskId = taskId,
                Lane = lane,
                State = _state,
                Attempt = _attempt,
                FilesChanged = files,
                LastActivity = _lastActivity,
                LastAction = _lastAction,
                IsActive = running && _lastActivity is { } last && now - last < idleThreshold,
                ToolCalls = _doneTools + _tools,
                InputTokens = _doneInput + _input,
                OutputTokens = _doneOutput + _output,
                Cost = _doneCost + _cost,
                StartedAt = _startedAt,
                Elapsed = _startedAt is { } started && end > started ? end - started : TimeSpan.Zero,
            };
        }
    }

    /// <summary>The status of an agent that never started: pending, or its task's final state.</summary>
    public static AgentStatus NotStarted(string name, string taskId, int lane, TaskState state) =>
        new() { Name = name, TaskId = taskId, Lane = lane, State = state };

    private static string Describe(AgentProgress progress, Func<string, string> redact)
    {
        string text = progress.Kind switch
        {
            AgentProgressKind.ModelCall => string.Create(CultureInfo.InvariantCulture, $"model call ({progress.InputTokens:N0} in, {progress.OutputTokens:N0} out)"),
            AgentProgressKind.ToolCall => $"tool {progress.Name}{(progress.Succeeded == false ? " (failed)" : "")}",
            AgentProgressKind.FileChanged => $"changed {progress.Path}",
            AgentProgressKind.CommandRun => $"ran {progress.Name}{(progress.Succeeded == false ? " (failed)" : "")}",
            _ => progress.Message ?? progress.Kind.ToString(),
        };
        text = redact(text.ReplaceLineEndings(" "));
        return text.Length <= MaxActionChars ? text : text[..MaxActionChars] + "…";
    }
}
