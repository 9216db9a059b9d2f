using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk.Cli;

/// <summary><c>merge [run]</c>: after a run ended, merges the branches of its tasks whose work was done but did not
/// reach main (their merge conflicted or failed verification, or they were rejected in review), in dependency order,
/// through the engine's own <see cref="BranchMerger"/>; with <c>--review</c>, each branch is shown and asked about first.</summary>
internal static class MergeCommand
{
    /// <summary>The statuses of a journaled merge that left the task's work on its branch only.</summary>
    private static readonly MergeStatus[] LeftOnBranch = [MergeStatus.Conflict, MergeStatus.VerifyFailed, MergeStatus.Rejected];

    public static Command Create(CliOutput output)
    {
        var run = new Argument<string?>("run") { Description = "The run's id (default: the latest run that ended).", Arity = ArgumentArity.ZeroOrOne };
        var repo = CommonOptions.Repository();
        var main = CommonOptions.MainBranch();
        var reports = new Option<string?>("--reports") { Description = "The folder for the merge reports (default: reports in the repository)." };
        var review = new Option<bool>("--review") { Description = "Show each branch's summary, files and diff and ask whether to merge it (y/n); answers come from standard input, and none is no." };
        var json = CommonOptions.Json();
        var merge = new Command("merge", "After a run ended, merges the branches of its tasks that did their work but did not reach main (a conflict, a failed verify, rejected in review), dependencies first, with the plan's verify commands; main is never left broken. Exit code 0 when every one merged (or none was left), 1 when not.")
        {
            run, repo, main, reports, review, json,
        };
        merge.SetAction(CliApp.Guarded(output, async (parse, cancellationToken) =>
        {
            bool asJson = parse.GetValue(json);
            TextWriter messages = asJson ? output.Error : output.Out;
            string repository = Paths.Repository(parse.GetValue(repo));
            string state = RunJournals.StateDirectory(repository);
            string mainBranch = parse.GetValue(main)!;
            string reportsPath = Paths.InRepository(repository, parse.GetValue(reports), "reports");
            RunJournalState journal = FindRun(state, repository, parse.GetValue(run));

            List<(AgentTask Task, JournaledTask Journal)> left = [.. BranchMerger.MergeOrder(journal.Plan)
                .Select(t => (Task: t, Journal: journal.Find(t.Id)!))
                .Where(t => t.Journal.Merge is null && t.Journal.LastMerge is { } m && LeftOnBranch.Contains(m.Status))];
            if (left.Count == 0)
            {
                await messages.WriteLineAsync($"Run {journal.RunId}: no task's branch is left unmerged; nothing to do.").ConfigureAwait(false);
                if (asJson)
                {
                    await output.Out.WriteLineAsync(Json.Write(Result(journal.RunId, mainBranch, [], null))).ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }

            await messages.WriteLineAsync($"Run {journal.RunId}: {left.Count} task branch(es) did not reach {mainBranch}: {string.Join(", ", left.Select(t => t.Task.Id))}.").ConfigureAwait(false);
            var options = new MergeOptions { RepositoryPath = repository, MainBranch = mainBranch, ReportsDirectory = reportsPath };
            foreach (string command in journal.Plan.Verify)
            {
                options.VerifyCommands.Add(command);
            }

            ConsoleMergeApprover? approver = parse.GetValue(review)
                ? new ConsoleMergeApprover(output.In, messages, maxDiffLines: 400, offerRerun: false)
                : null;
            IReadOnlyDictionary<string, string> summaries = approver is null ? new Dictionary<string, string>() : Summaries(reportsPath, journal.RunId);
            var rows = new List<Row>();
            var merged = new List<MergeResult>();
            var onMain = new HashSet<string>(
                journal.Tasks.Where(t => t.Merge is { } m && (m.ReachedMain || m.TheirsCommit is not null)).Select(t => t.TaskId), StringComparer.Ordinal);
            await using (var merger = new BranchMerger(options))
            {
                using RunJournal record = OpenJournal(journal);
                int position = 0;
                foreach ((AgentTask task, JournaledTask journaled) in left)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    string branch = journaled.LastMerge!.Branch;
                    if (task.Dependencies.FirstOrDefault(d => !onMain.Contains(d)) is { } blocker)
                    {
                        rows.Add(new Row(task.Id, branch, "skipped", null, $"Not merged: its dependency '{blocker}' is not on '{mainBranch}'."));
                        continue;
                    }

                    ReviewDecision? decision = null;
                    if (approver is not null)
                    {
                        MergeReview? shown = Review(journal.RunId, task, branch, mainBranch, repository, journaled, summaries);
                        if (shown is null)
                        {
                            rows.Add(new Row(task.Id, branch, "skipped", null, $"Not merged: the branch '{branch}' no longer exists."));
                            continue;
                        }

                        decision = await approver.ReviewAsync(shown, cancellationToken).ConfigureAwait(false);
                        record.ReviewDecided(task, branch, decision);
                        if (decision.Kind != ReviewDecisionKind.Approved)
                        {
                            rows.Add(new Row(task.Id, branch, "declined", null, $"Not merged: declined in review ({decision.Reason}); the work stays on '{branch}'."));
                            continue;
                        }
                    }

                    MergeResult result;
                    try
                    {
                        result = await merger.MergeAsync(
                            new MergeRequest { RunId = journal.RunId, Task = task, Branch = branch, PlanPosition = position++, Plan = journal.Plan, Review = decision },
                            cancellationToken).ConfigureAwait(false);
                    }
                    catch (InvalidOperationException e)
                    {
                        // The main branch is missing (a wrong --main) or kept moving: nothing of this branch was merged.
                        throw new CliUsageException(e.Message);
                    }

                    record.MergeEnded(task, result);
                    merged.Add(result);
                    // A branch found on main already (merged by hand since) is as good as merged for what depends on it.
                    bool there = result.ReachedMain || (result.Status == MergeStatus.Skipped && result.TheirsCommit is not null);
                    if (there)
                    {
                        onMain.Add(task.Id);
                    }

                    rows.Add(new Row(task.Id, branch, there && !result.ReachedMain ? "alreadyOnMain" : Json.Name(result.Status), result, result.Message ?? ""));
                }

                string? summary = merged.Count == 0 ? null : merger.WriteSummary(merged);
                // Tasks the run skipped because one of these branches was missing from main never ran: merging the
                // branch does not do their work.
                List<string> notRun = [.. journal.Plan.Tasks
                    .Where(t => journal.Find(t.Id)!.State == TaskState.Skipped && t.Dependencies.All(onMain.Contains))
                    .Select(t => t.Id)];
                if (asJson)
                {
                    JsonObject result = Result(journal.RunId, mainBranch, rows, summary);
                    result["notRun"] = new JsonArray([.. notRun.Select(id => (JsonNode)JsonValue.Create(id))]);
                    await output.Out.WriteLineAsync(Json.Write(result)).ConfigureAwait(false);
                }
                else
                {
                    if (approver is not null)
                    {
                        // The last question's prompt has no line end of its own when the answers are piped in.
                        await output.Out.WriteLineAsync().ConfigureAwait(false);
                    }

                    await WriteRowsAsync(output.Out, rows, summary).ConfigureAwait(false);
                    if (notRun.Count > 0)
                    {
                        await output.Out.WriteLineAsync(
                            $"Not run by the run, since their dependencies were not on {mainBranch} then: {string.Join(", ", notRun)}. Run them in a new run (a task file with just them).").ConfigureAwait(false);
                    }
                }
            }

            return rows.All(r => r.Status is "merged" or "resolved" or "alreadyOnMain") ? ExitCodes.Success : ExitCodes.Failed;
        }));
        return merge;
    }

    /// <summary>The named run, or the latest that ended; a run that did not end is refused, since its own process (or a
    /// <c>resume</c>) still owns its branches.</summary>
    private static RunJournalState FindRun(string state, string repository, string? runId)
    {
        RunJournalState journal = runId is not null
            ? RunJournals.Read(state, runId)
            : RunJournals.Ids(state).Reverse().Select(id => RunJournals.Read(state, id)).FirstOrDefault(j => j.Ended)
                ?? throw new CliUsageException($"No run of {repository} has ended yet ({Path.Combine(state, "runs")}); 'parallel-agents status' shows where the latest stands.");
        if (!journal.Ended)
        {
            throw new CliUsageException($"Run {journal.RunId} has not ended: it is running, or its process died. Finish it with 'parallel-agents resume {journal.RunId}' first, then merge.");
        }

        return journal;
    }

    /// <summary>The run's journal, opened to record this command's reviews and merges, so that <c>status</c> shows them.</summary>
    private static RunJournal OpenJournal(RunJournalState journal)
    {
        try
        {
            return RunJournal.Append(journal.Path, journal.ValidLength, NullLogger.Instance, SecretRedactor.PatternsOnly);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliEnvironmentException($"The journal of run {journal.RunId} ({journal.Path}) cannot be written: {e.Message}; nothing was merged.");
        }
    }

    private static MergeReview? Review(
        string runId, AgentTask task, string branch, string mainBranch, string repository, JournaledTask journaled, IReadOnlyDictionary<string, string> summaries)
    {
        ReviewDiff diff;
        try
        {
            diff = ReviewDiff.Compute(repository, mainBranch, branch, new MergeApprovalOptions().MaxDiffChars);
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        return new MergeReview
        {
            RunId = runId,
            Task = task,
            Attempt = Math.Max(1, journaled.AttemptsStarted),
            Round = 1,
            Branch = branch,
            MainBranch = mainBranch,
            HeadCommit = diff.HeadCommit,
            BaseCommit = diff.BaseCommit,
            Diff = diff.Text,
            DiffTruncated = diff.Truncated,
            Files = diff.Files,
            SuspectedSecrets = diff.SuspectedSecrets,
            Summary = summaries.GetValueOrDefault(task.Id),
        };
    }

    /// <summary>The agents' summaries from the run's report (<c>run_&lt;id&gt;.json</c>), when it is there and readable.</summary>
    private static Dictionary<string, string> Summaries(string reports, string runId)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        string path = Path.Combine(reports, $"run_{runId}.json");
        try
        {
            if (File.Exists(path))
            {
                using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
                foreach (JsonElement task in document.RootElement.GetProperty("tasks").EnumerateArray())
                {
                    if (task.TryGetProperty("summary", out JsonElement summary) && summary.ValueKind == JsonValueKind.String)
                    {
                        found[task.GetProperty("task_id").GetString()!] = summary.GetString()!;
                    }
                }
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            // The summary only helps the reviewer; the diff is what is reviewed.
            found.Clear();
        }

        return found;
    }

    private static JsonObject Result(string runId, string mainBranch, List<Row> rows, string? summaryPath) => new()
    {
        ["runId"] = runId,
        ["mainBranch"] = mainBranch,
        ["merges"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
        {
            ["taskId"] = r.TaskId,
            ["branch"] = r.Branch,
            ["status"] = r.Status,
            ["reachedMain"] = r.Result?.ReachedMain ?? false,
            ["mergedCommit"] = r.Result?.MergedCommit,
            ["files"] = new JsonArray([.. (r.Result?.Files ?? []).Select(f => (JsonNode)JsonValue.Create(f))]),
            ["conflicts"] = new JsonArray([.. (r.Result?.Conflicts ?? []).Select(c => (JsonNode)new JsonObject
            {
                ["path"] = c.Path,
                ["kind"] = c.Kind,
            })]),
            ["verifyCommand"] = r.Result?.VerifyCommand,
            ["message"] = r.Message,
            ["reportPath"] = r.Result?.ReportPath,
        })]),
        ["mergeSummaryPath"] = summaryPath,
    };

    private static async Task WriteRowsAsync(TextWriter output, List<Row> rows, string? summary)
    {
        foreach (Row row in rows)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {row.TaskId,-24} {row.Status,-13} {row.Branch}")).ConfigureAwait(false);
            foreach (MergeConflict conflict in row.Result?.Conflicts ?? [])
            {
                await output.WriteLineAsync($"      conflict: {conflict.Path} ({conflict.Kind})").ConfigureAwait(false);
            }

            await output.WriteLineAsync("      " + row.Message.ReplaceLineEndings("\n      ")).ConfigureAwait(false);
            if (row.Result?.VerifyOutput is { Length: > 0 } verify)
            {
                await output.WriteLineAsync("      " + verify.TrimEnd().ReplaceLineEndings("\n      ")).ConfigureAwait(false);
            }
        }

        if (summary is not null)
        {
            await output.WriteLineAsync($"Merge summary: {summary}").ConfigureAwait(false);
        }

        int done = rows.Count(r => r.Status is "merged" or "resolved" or "alreadyOnMain");
        await output.WriteLineAsync($"{done} of {rows.Count} branch(es) merged.").ConfigureAwait(false);
    }

    /// <summary>What became of one branch: the merger's result when it was merged (or tried), else why it was not.</summary>
    private sealed record Row(string TaskId, string Branch, string Status, MergeResult? Result, string Message);
}
