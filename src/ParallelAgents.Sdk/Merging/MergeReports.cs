using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>
/// Writes <c>merge_&lt;task-id&gt;_&lt;timestamp&gt;.json</c> (one merge, snake_case fields as the original's merge script)
/// and <c>merge_summary_&lt;timestamp&gt;.txt</c> (a table of all merges).
/// </summary>
internal static class MergeReports
{
    private static readonly System.Buffers.SearchValues<char> ShellSpecial = System.Buffers.SearchValues.Create(" '\"$`\\;&|()<>*?[]#~");

    internal const string TimestampFormat = "yyyyMMdd'_'HHmmss";

    public static string StatusName(MergeStatus status) => status switch
    {
        MergeStatus.Merged => "merged",
        MergeStatus.Resolved => "resolved",
        MergeStatus.Conflict => "conflict",
        MergeStatus.VerifyFailed => "verify_failed",
        MergeStatus.Skipped => "skipped",
        MergeStatus.Rejected => "rejected",
        _ => status.ToString().ToLowerInvariant(),
    };

    public static string StrategyName(MergeStrategy strategy) => strategy switch
    {
        MergeStrategy.MergeCommit => "merge_commit",
        MergeStrategy.Squash => "squash",
        MergeStrategy.FastForward => "fast_forward",
        _ => strategy.ToString().ToLowerInvariant(),
    };

    /// <summary>Writes the JSON report of one merge and returns its full path.</summary>
    public static string WriteMerge(string directory, MergeResult result, string runId, string mainBranch, MergeStrategy strategy)
    {
        Directory.CreateDirectory(directory);
        string stamp = result.CompletedAt.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);
        byte[] json = ToJson(result, runId, mainBranch, strategy);
        return WriteNew(directory, $"merge_{result.TaskId}_{stamp}", ".json", json);
    }

    /// <summary>Writes the summary table of <paramref name="results"/> and returns its full path.</summary>
    public static string WriteSummary(string directory, IReadOnlyList<MergeResult> results, string mainBranch, DateTimeOffset now)
    {
        Directory.CreateDirectory(directory);
        string stamp = now.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);
        return WriteNew(directory, $"merge_summary_{stamp}", ".txt", Encoding.UTF8.GetBytes(Summary(results, mainBranch, now)));
    }

    internal static byte[] ToJson(MergeResult result, string runId, string mainBranch, MergeStrategy strategy)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("task_id", result.TaskId);
            json.WriteString("branch", result.Branch);
            json.WriteString("status", StatusName(result.Status));
            json.WriteString("run_id", runId);
            json.WriteString("main_branch", mainBranch);
            json.WriteString("strategy", StrategyName(strategy));
            json.WriteString("base_commit", result.BaseCommit);
            json.WriteString("ours_commit", result.OursCommit);
            json.WriteString("theirs_commit", result.TheirsCommit);
            json.WriteString("resolution_commit", result.ResolutionCommit);
            json.WriteString("merged_commit", result.MergedCommit);
            json.WriteStartArray("files");
            foreach (string file in result.Files)
            {
                json.WriteStringValue(file);
            }

            json.WriteEndArray();
            json.WriteStartArray("conflicts");
            foreach (MergeConflict conflict in result.Conflicts)
            {
                json.WriteStartObject();
                json.WriteString("path", conflict.Path);
                json.WriteString("kind", conflict.Kind);
                WriteRanges(json, "ours_lines", conflict.OursLines);
                WriteRanges(json, "theirs_lines", conflict.TheirsLines);
                json.WriteString("other_task_id", conflict.OtherTaskId);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("resolver", result.Resolver);
            json.WriteStartArray("resolver_attempts");
            foreach (string attempt in result.ResolverAttempts)
            {
                json.WriteStringValue(attempt);
            }

            json.WriteEndArray();
            if (result.VerifyCommand is null)
            {
                json.WriteNull("verify");
            }
            else
            {
                json.WriteStartObject("verify");
                json.WriteString("command", result.VerifyCommand);
                json.WriteString("output", result.VerifyOutput);
                json.WriteEndObject();
            }

            if (result.Review is { } review)
            {
                // Only with a review, so that reports of engines without one keep their shape.
                json.WriteStartObject("review");
                json.WriteString("decision", ReviewName(review.Kind));
                json.WriteString("reason", review.Reason);
                json.WriteString("reviewer", review.Reviewer);
                json.WriteEndObject();
            }

            json.WriteBoolean("working_tree_updated", result.WorkingTreeUpdated);
            json.WriteString("working_tree_left_as_is", result.WorkingTreeLeftAsIs);
            json.WriteString("message", result.Message);
            json.WriteStartArray("manual_steps");
            foreach (string step in ManualSteps(result, mainBranch))
            {
                json.WriteStringValue(step);
            }

            json.WriteEndArray();
            json.WriteString("completed_at", result.CompletedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteNumber("duration_ms", Math.Round(result.Duration.TotalMilliseconds, 1));
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    public static string ReviewName(ReviewDecisionKind kind) => kind switch
    {
        ReviewDecisionKind.Approved => "approved",
        ReviewDecisionKind.Rejected => "rejected",
        ReviewDecisionKind.RerunRequested => "rerun_requested",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The commands a person runs to finish what the merge could not.</summary>
    internal static List<string> ManualSteps(MergeResult result, string mainBranch)
    {
        var steps = new List<string>();
        if (result.Status is MergeStatus.Conflict or MergeStatus.VerifyFailed)
        {
            steps.Add($"git checkout {result.Branch}");
            steps.Add($"git merge {mainBranch}");
            if (result.Status == MergeStatus.Conflict)
            {
                string files = string.Join(' ', result.Conflicts.Select(c => Quote(c.Path)).Distinct(StringComparer.Ordinal));
                steps.Add($"# edit the conflicted files ({files}), then:");
                steps.Add($"git add {files}");
                steps.Add("git commit --no-edit");
            }
            else
            {
                steps.Add($"# make '{result.VerifyCommand}' pass on the merged tree, then commit the fix:");
                steps.Add(result.VerifyCommand ?? "");
                steps.Add("git commit -am \"Fix the merge with " + mainBranch + "\"");
            }

            steps.Add($"git checkout {mainBranch}");
            steps.Add($"git merge {result.Branch}");
        }
        else if (result.Status == MergeStatus.Rejected)
        {
            steps.Add($"# rejected in review; to look at the work: git diff {mainBranch}...{result.Branch}");
            steps.Add($"# to merge it anyway, by hand:");
            steps.Add($"git checkout {mainBranch}");
            steps.Add($"git merge {result.Branch}");
        }
        else if (result.WorkingTreeLeftAsIs is not null && result.OursCommit is not null && result.MergedCommit is not null)
        {
            // The branch moved under uncommitted changes: stash them against the commit they were made on, catch up, and
            // put them back.
            steps.Add($"cd {Quote(result.WorkingTreeLeftAsIs)}");
            steps.Add($"git reset --soft {result.OursCommit}");
            steps.Add("git stash push --include-untracked");
            steps.Add($"git merge --ff-only {result.MergedCommit}");
            steps.Add("git stash pop");
        }

        return steps;
    }

    internal static string Summary(IReadOnlyList<MergeResult> results, string mainBranch, DateTimeOffset now)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Merge summary for '{mainBranch}', {now.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC\n");
        // Rejected appears only when a review rejected something, so that summaries without review keep their shape.
        string counts = string.Join(", ", Enum.GetValues<MergeStatus>()
            .Where(s => s != MergeStatus.Rejected || results.Any(r => r.Status == s))
            .Select(s => $"{results.Count(r => r.Status == s)} {StatusName(s)}"));
        text.Append(CultureInfo.InvariantCulture, $"{results.Count} merges: {counts}\n\n");
        string[] header = ["TASK", "BRANCH", "STATUS", "BASE", "OURS", "THEIRS", "MERGED", "FILES", "CONFLICTS", "RESOLVER", "MESSAGE"];
        var rows = new List<string[]> { header };
        foreach (MergeResult r in results)
        {
            rows.Add(
            [
                r.TaskId, r.Branch, StatusName(r.Status), Short(r.BaseCommit), Short(r.OursCommit), Short(r.ResolutionCommit ?? r.TheirsCommit),
                Short(r.MergedCommit), r.Files.Count.ToString(CultureInfo.InvariantCulture), r.Conflicts.Count.ToString(CultureInfo.InvariantCulture),
                r.Resolver ?? "-", (r.Message ?? "").ReplaceLineEndings(" "),
            ]);
        }

        int[] widths = new int[header.Length];
        foreach (string[] row in rows)
        {
            for (int c = 0; c < row.Length; c++)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        foreach (string[] row in rows)
        {
            for (int c = 0; c < row.Length - 1; c++)
            {
                text.Append(row[c].PadRight(widths[c] + 2));
            }

            text.Append(row[^1]).Append('\n');
        }

        foreach (MergeResult r in results.Where(r => r.Conflicts.Count > 0 || r.VerifyCommand is not null))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{r.TaskId} ({StatusName(r.Status)}):\n");
            foreach (MergeConflict c in r.Conflicts)
            {
                text.Append(CultureInfo.InvariantCulture, $"  {c.Path} ({c.Kind}): ours {Ranges(c.OursLines)}, theirs {Ranges(c.TheirsLines)}");
                text.Append(c.OtherTaskId is null ? "\n" : $", against task {c.OtherTaskId}\n");
            }

            if (r.VerifyCommand is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"  verify failed: {r.VerifyCommand}\n");
            }
        }

        return text.ToString();
    }

    private static string Ranges(IReadOnlyList<LineRange> ranges) =>
        ranges.Count == 0 ? "-" : string.Join(", ", ranges.Select(r => r.IsEmpty ? $"(none before {r.Start})" : r.ToString()));

    private static void WriteRanges(Utf8JsonWriter json, string name, IReadOnlyList<LineRange> ranges)
    {
        json.WriteStartArray(name);
        foreach (LineRange range in ranges)
        {
            json.WriteStartObject();
            json.WriteNumber("start", range.Start);
            json.WriteNumber("end", range.End);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static string Short(string? commit) => commit is null ? "-" : commit[..Math.Min(10, commit.Length)];

    private static string Quote(string path) =>
        path.AsSpan().IndexOfAny(ShellSpecial) < 0 ? path : "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string WriteNew(string directory, string stem, string extension, byte[] content)
    {
        // Two reports in the same second get _2, _3...: a report is never overwritten.
        for (int n = 1; ; n++)
        {
            string path = Path.Combine(directory, n == 1 ? stem + extension : $"{stem}_{n}{extension}");
            try
            {
                using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
                stream.Write(content);
                return Path.GetFullPath(path);
            }
            catch (IOException) when (File.Exists(path))
            {
            }
        }
    }
}
