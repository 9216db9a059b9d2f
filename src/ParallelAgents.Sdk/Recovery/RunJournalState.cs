using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>What a run's journal says: the plan, where the main branch stood when the run started, how each task ended,
/// how many attempts each started, and the merges that reached the main branch.</summary>
internal sealed class RunJournalState
{
    private RunJournalState(string path, string runId, TaskPlan plan, string? baseRevision)
    {
        Path = path;
        RunId = runId;
        Plan = plan;
        BaseRevision = baseRevision;
        Tasks = new JournaledTask[plan.Tasks.Count];
        for (int i = 0; i < Tasks.Length; i++)
        {
            Tasks[i] = new JournaledTask(plan.Tasks[i].Id);
        }
    }

    public string Path { get; }

    public string RunId { get; }

    public TaskPlan Plan { get; }

    public string? BaseRevision { get; }

    /// <summary>One entry per task of <see cref="Plan"/>, in the same order.</summary>
    public JournaledTask[] Tasks { get; }

    /// <summary>Where the last whole record ends: a torn line after it is cut off before appending.</summary>
    public long ValidLength { get; private set; }

    /// <summary>Whether the last line was torn (and ignored).</summary>
    public bool TornTail { get; private set; }

    /// <summary>Whether the journal's last run (first or resumed) reached its end record.</summary>
    public bool Ended { get; private set; }

    /// <summary>Whether that end record said tasks were left to run.</summary>
    public bool Resumable { get; private set; }

    public JournaledTask? Find(string taskId) => Plan.TryGetTask(taskId, out _) ? Tasks[Plan.IndexOf(taskId)] : null;

    /// <summary>Reads and checks a journal.</summary>
    /// <exception cref="InvalidDataException">A record before the last is damaged, or the first is not a run record;
    /// the message says where.</exception>
    public static RunJournalState Read(string path, ILogger logger)
    {
        byte[] bytes = File.ReadAllBytes(path);
        RunJournalState? state = null;
        int offset = 0;
        int line = 0;
        while (offset < bytes.Length)
        {
            line++;
            int newline = Array.IndexOf(bytes, (byte)'\n', offset);
            int end = newline < 0 ? bytes.Length : newline;
            ReadOnlySpan<byte> record = bytes.AsSpan(offset, end - offset);
            string? problem = Check(record);
            if (problem is not null)
            {
                if (newline < 0 || IsBlankFrom(bytes, newline + 1))
                {
                    // The process died while writing its last record: it never happened.
                    JournalLog.TornTail(logger, path);
                    if (state is not null)
                    {
                        state.TornTail = true;
                    }

                    break;
                }

                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"The run journal {path} is damaged at line {line} ({problem}), and records follow it; the run cannot be resumed safely. Restore the file from a backup, or start the plan again as a new run."));
            }

            using (JsonDocument document = JsonDocument.Parse((ReadOnlyMemory<byte>)bytes.AsMemory(offset + 9, end - offset - 9)))
            {
                JsonElement root = document.RootElement;
                if (state is null)
                {
                    state = First(path, root, line);
                }
                else
                {
                    state.Apply(root);
                }
            }

            offset = end + 1;
            state.ValidLength = offset;
        }

        return state ?? throw new InvalidDataException(
            $"The run journal {path} holds no whole record (the process stopped before the run's first record was on disk); start the plan again as a new run.");
    }

    private static RunJournalState First(string path, JsonElement root, int line)
    {
        if (root.GetProperty("t").GetString() != "run")
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"The run journal {path} does not start with a run record (line {line}); it was not written by this engine."));
        }

        int version = root.GetProperty("v").GetInt32();
        if (version > RunJournal.FormatVersion)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"The run journal {path} has format {version}, newer than this engine reads ({RunJournal.FormatVersion}); resume it with the version that wrote it."));
        }

        return new RunJournalState(
            path,
            root.GetProperty("run").GetString()!,
            PlanCodec.Read(root.GetProperty("plan")),
            root.TryGetProperty("base", out JsonElement @base) ? @base.GetString() : null);
    }

    private void Apply(JsonElement root)
    {
        string kind = root.GetProperty("t").GetString()!;
        if (kind is "resume")
        {
            Ended = false;
            return;
        }

        if (kind is "end")
        {
            Ended = true;
            Resumable = root.GetProperty("resumable").GetBoolean();
            return;
        }

        // A task the plan does not have cannot appear: the plan is the journal's own first record. Records of kinds this
        // version does not know (a review's decision) change nothing a resume needs.
        JournaledTask? task = root.TryGetProperty("task", out JsonElement id) ? Find(id.GetString()!) : null;
        if (task is null)
        {
            return;
        }

        switch (kind)
        {
            case "attempt":
                task.AttemptsStarted = Math.Max(task.AttemptsStarted, root.GetProperty("n").GetInt32());
                break;
            case "task":
                task.State = Enum.Parse<TaskState>(root.GetProperty("state").GetString()!);
                task.Reason = root.TryGetProperty("reason", out JsonElement reason) ? reason.GetString() : null;
                task.CompletedAt = root.GetProperty("at").GetDateTimeOffset();
                break;
            case "merge":
                var status = Enum.Parse<MergeStatus>(root.GetProperty("status").GetString()!);
                task.LastMerge = new MergeResult
                {
                    TaskId = task.TaskId,
                    Branch = root.GetProperty("branch").GetString()!,
                    Status = status,
                    MergedCommit = root.TryGetProperty("commit", out JsonElement commit) ? commit.GetString() : null,
                    TheirsCommit = root.TryGetProperty("theirs", out JsonElement theirs) ? theirs.GetString() : null,
                    Message = root.TryGetProperty("message", out JsonElement message) ? message.GetString() : null,
                    CompletedAt = root.GetProperty("at").GetDateTimeOffset(),
                };
                if (status is MergeStatus.Merged or MergeStatus.Resolved or MergeStatus.Skipped)
                {
                    task.Merge = task.LastMerge;
                }

                break;
            case "cancel":
                task.CancelledOnPurpose = true;
                break;
        }
    }

    private static string? Check(ReadOnlySpan<byte> record)
    {
        if (record.Length < 11 || record[8] != (byte)' ')
        {
            return "the line is too short to be a record";
        }

        if (!uint.TryParse(Encoding.ASCII.GetString(record[..8]), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint expected))
        {
            return "the line does not start with a checksum";
        }

        return Crc32C.Compute(record[9..]) == expected ? null : "its checksum does not match";
    }

    private static bool IsBlankFrom(byte[] bytes, int offset)
    {
        for (int i = offset; i < bytes.Length; i++)
        {
            if (bytes[i] is not ((byte)'\n' or (byte)'\r' or (byte)' ' or 0))
            {
                return false;
            }
        }

        return true;
    }
}
