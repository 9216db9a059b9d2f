using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>
/// The append-only journal of one run (<c>&lt;state&gt;/runs/&lt;run-id&gt;/journal.jsonl</c>): the plan and the run's base
/// revision, every attempt's start and end, every task's final state, every merge with the commit it made on the main
/// branch, and the tasks cancelled on purpose. <see cref="AgentEngine.ResumeAsync(string, CancellationToken)"/> needs
/// nothing else to finish the run after the process died.
/// </summary>
/// <remarks>
/// <para>One record per line: eight hex digits of the CRC-32C of the JSON that follows, a space, the JSON, a newline. A
/// line whose checksum does not match is damage; the last line may be torn by a crash and is then ignored. As in the
/// file-backed shared memory's journal, the checksum covers the whole payload, so a torn or bit-flipped record is never
/// replayed, and the payload stays readable text.</para>
/// <para>The records that resuming depends on (the run, an attempt's start, a task's final state, a merge, a cancel)
/// are flushed to disk before the call returns; an attempt's end is not, because losing it loses only a statistic.</para>
/// <para>As an observer it never throws: a journal that cannot be written is logged once and then left alone, and the
/// run goes on (it only cannot be resumed).</para>
/// </remarks>
internal sealed class RunJournal : RunObserver, IDisposable
{
    /// <summary>The journal's file name inside the run's folder.</summary>
    public const string FileName = "journal.jsonl";

    /// <summary>The version of the record format, written in the run record.</summary>
    public const int FormatVersion = 1;

    private readonly object _gate = new();
    private readonly FileStream _stream;
    private readonly ILogger _logger;
    private readonly SecretRedactor _redactor;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;
    private readonly HashSet<string> _cancelledOnPurpose = new(StringComparer.Ordinal);
    private bool _broken;
    private bool _disposed;

    private RunJournal(string path, FileStream stream, ILogger logger, SecretRedactor redactor)
    {
        Path = path;
        _stream = stream;
        _logger = logger;
        _redactor = redactor;
        _json = new Utf8JsonWriter(_buffer);
    }

    /// <summary>The journal file's full path.</summary>
    public string Path { get; }

    /// <summary>The journal of <paramref name="runId"/> under <paramref name="stateDirectory"/>.</summary>
    public static string PathFor(string stateDirectory, string runId) =>
        System.IO.Path.Combine(stateDirectory, "runs", runId, FileName);

    /// <summary>Makes the journal of a new run.</summary>
    /// <exception cref="InvalidOperationException">The run id already has a journal.</exception>
    /// <exception cref="IOException">The file cannot be made.</exception>
    public static RunJournal Create(string stateDirectory, string runId, ILogger logger, SecretRedactor redactor)
    {
        string path = PathFor(stateDirectory, runId);
        string folder = System.IO.Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 1, FileOptions.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The run id '{runId}' already has a journal at {path}; continue that run with AgentEngine.ResumeAsync(\"{runId}\"), or run the plan under a new id.");
        }

        // The new file's name must survive a power loss as well as its records.
        DurableFile.SyncDirectory(folder);
        return new RunJournal(path, stream, logger, redactor);
    }

    /// <summary>Opens an existing journal to append to it, cutting off a torn last line first.</summary>
    /// <param name="path">The journal.</param>
    /// <param name="validLength">Where its last whole record ends (<see cref="RunJournalState.ValidLength"/>).</param>
    /// <param name="logger">Where a write failure is logged.</param>
    /// <param name="redactor">What errors and messages are cleaned with.</param>
    public static RunJournal Append(string path, long validLength, ILogger logger, SecretRedactor redactor)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 1, FileOptions.None);
        try
        {
            if (stream.Length != validLength)
            {
                stream.SetLength(validLength);
                stream.Flush(flushToDisk: true);
            }

            stream.Seek(0, SeekOrigin.End);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        return new RunJournal(path, stream, logger, redactor);
    }

    /// <summary>The first record of a run: what <see cref="AgentEngine.ResumeAsync(string, CancellationToken)"/> rebuilds it from.</summary>
    public void Begin(string runId, TaskPlan plan, string? baseRevision, DateTimeOffset at) => Write(json =>
    {
        json.WriteString("t", "run");
        json.WriteNumber("v", FormatVersion);
        json.WriteString("run", runId);
        json.WriteString("at", at);
        if (baseRevision is not null)
        {
            json.WriteString("base", baseRevision);
        }

        json.WritePropertyName("plan");
        PlanCodec.Write(json, plan);
    }, durable: true);

    /// <summary>Marks where a resumed run took over.</summary>
    public void Resumed(DateTimeOffset at, IEnumerable<string> cancelledOnPurpose)
    {
        lock (_gate)
        {
            _cancelledOnPurpose.UnionWith(cancelledOnPurpose);
        }

        Write(json =>
        {
            json.WriteString("t", "resume");
            json.WriteString("at", at);
            json.WriteNumber("pid", Environment.ProcessId);
        }, durable: true);
    }

    /// <summary>A task is being cancelled on purpose (<see cref="AgentEngine.CancelTaskAsync(string, CancellationToken)"/>):
    /// a resumed run leaves it cancelled, while tasks cancelled with the run are run again.</summary>
    public void CancelRequested(string taskId, DateTimeOffset at)
    {
        lock (_gate)
        {
            _cancelledOnPurpose.Add(taskId);
        }

        Write(json =>
        {
            json.WriteString("t", "cancel");
            json.WriteString("task", taskId);
            json.WriteString("at", at);
        }, durable: true);
    }

    /// <summary>Records a merge found on the main branch that the journal had missed (the process died between the two).</summary>
    public void MergeRecovered(string taskId, string branch, string commit, DateTimeOffset at) => Write(json =>
    {
        json.WriteString("t", "merge");
        json.WriteString("task", taskId);
        json.WriteString("branch", branch);
        json.WriteString("status", nameof(MergeStatus.Merged));
        json.WriteString("commit", commit);
        json.WriteBoolean("recovered", true);
        json.WriteString("at", at);
    }, durable: true);

    public override void AttemptStarted(string runId, AgentTask task, int taskIndex, int attempt, int lane, DateTimeOffset at) => Write(json =>
    {
        json.WriteString("t", "attempt");
        json.WriteString("task", task.Id);
        json.WriteNumber("n", attempt);
        json.WriteNumber("lane", lane);
        json.WriteString("at", at);
    }, durable: true);

    public override void AttemptEnded(AgentTask task, int taskIndex, int attempt, int lane, AttemptStatus status, TimeSpan duration, string? error, AgentUsage? usage) => Write(json =>
    {
        json.WriteString("t", "attemptEnd");
        json.WriteString("task", task.Id);
        json.WriteNumber("n", attempt);
        json.WriteNumber("lane", lane);
        json.WriteString("status", status.ToString());
        json.WriteNumber("ms", Math.Round(duration.TotalMilliseconds, 3));
        if (error is not null)
        {
            json.WriteString("error", _redactor.Redact(error));
        }
    }, durable: false);

    public override void TaskEnded(AgentTask task, int taskIndex, TaskState state, string? reason, DateTimeOffset at) => Write(json =>
    {
        json.WriteString("t", "task");
        json.WriteString("task", task.Id);
        json.WriteString("state", state.ToString());
        if (reason is not null)
        {
            json.WriteString("reason", _redactor.Redact(reason));
        }

        json.WriteString("at", at);
    }, durable: true);

    public override void MergeEnded(AgentTask task, MergeResult merge) => Write(json =>
    {
        json.WriteString("t", "merge");
        json.WriteString("task", task.Id);
        json.WriteString("branch", merge.Branch);
        json.WriteString("status", merge.Status.ToString());
        if (merge.MergedCommit is not null)
        {
            json.WriteString("commit", merge.MergedCommit);
        }

        if (merge.TheirsCommit is not null)
        {
            json.WriteString("theirs", merge.TheirsCommit);
        }

        if (merge.Message is not null)
        {
            json.WriteString("message", _redactor.Redact(merge.Message));
        }

        json.WriteString("at", merge.CompletedAt);
    }, durable: true);

    /// <summary>A reviewer's decision on a branch. It is a record of what happened, not replayed: a resumed attempt is
    /// reviewed again.</summary>
    public override void ReviewDecided(AgentTask task, string branch, ReviewDecision decision) => Write(json =>
    {
        json.WriteString("t", "review");
        json.WriteString("task", task.Id);
        json.WriteString("branch", branch);
        json.WriteString("decision", decision.Kind.ToString());
        if (decision.Reason is not null)
        {
            json.WriteString("reason", _redactor.Redact(decision.Reason));
        }

        if (decision.Reviewer is not null)
        {
            json.WriteString("reviewer", _redactor.Redact(decision.Reviewer));
        }
    }, durable: true);

    public override void RunEnded(RunResult result)
    {
        int unfinished;
        lock (_gate)
        {
            unfinished = result.Tasks.Count(t => t.State == TaskState.Cancelled && !_cancelledOnPurpose.Contains(t.TaskId));
        }

        Write(json =>
        {
            json.WriteString("t", "end");
            json.WriteString("at", result.CompletedAt);
            json.WriteBoolean("cancelled", result.WasCancelled);
            json.WriteBoolean("resumable", unfinished > 0);
            json.WriteNumber("succeeded", result.Count(TaskState.Succeeded));
            json.WriteNumber("failed", result.Count(TaskState.Failed));
            json.WriteNumber("skipped", result.Count(TaskState.Skipped));
            json.WriteNumber("cancelled_tasks", result.Count(TaskState.Cancelled));
        }, durable: true);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _json.Dispose();
            _stream.Dispose();
        }
    }

    private void Write(Action<Utf8JsonWriter> body, bool durable)
    {
        lock (_gate)
        {
            if (_broken || _disposed)
            {
                return;
            }

            try
            {
                _buffer.ResetWrittenCount();
                _buffer.Write("00000000 "u8);
                _json.Reset(_buffer);
                _json.WriteStartObject();
                body(_json);
                _json.WriteEndObject();
                _json.Flush();
                _buffer.Write("\n"u8);

                // The buffer's memory is ours until the next reset; the checksum goes into the placeholder in place.
                Span<byte> record = System.Runtime.InteropServices.MemoryMarshal.AsMemory(_buffer.WrittenMemory).Span;
                uint crc = Crc32C.Compute(record[9..^1]);
                Encoding.ASCII.GetBytes(crc.ToString("x8", CultureInfo.InvariantCulture), record[..8]);
                _stream.Write(record);
                if (durable)
                {
                    _stream.Flush(flushToDisk: true);
                }
            }
#pragma warning disable CA1031 // An observer must not throw: the run goes on without its journal, and says so.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _broken = true;
                JournalLog.WriteFailed(_logger, Path, ex);
            }
        }
    }
}
