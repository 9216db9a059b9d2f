using System.Collections.Concurrent;
using ParallelAgents.Sdk;

namespace TaskFlow;

/// <summary>
/// Makes the offline cassettes (<c>--make-cassettes</c>): runs the real engine twice on fresh demo repositories with
/// the <see cref="ScriptedTaskFlowModel"/>, recording each agent conversation through a <see cref="RecordingChatClient"/>.
/// </summary>
/// <remarks>
/// database-schema and frontend-components run side by side and both add a row at the same place of README.md, so
/// whichever merges second conflicts and is re-run on the new main. A replay must work for either order, so two runs
/// are recorded: in the first the frontend agent waits until the schema has merged before it finishes (its re-run is
/// recorded), in the second the schema agent waits for the frontend (its re-run is recorded). The waiting happens
/// only here, in the scripted model; the cassettes hold answers, not timing.
/// </remarks>
internal static class CassetteMaker
{
    public static async Task<int> RunAsync(string? folder, TextWriter output, CancellationToken cancellationToken)
    {
        folder ??= DefaultFolder();
        if (folder is null)
        {
            output.WriteLine("--make-cassettes needs a folder: run it from the repository root (it writes samples/TaskFlow/cassettes), or give --cassettes <folder>.");
            return 2;
        }

        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        foreach (string old in Directory.GetFiles(folder, "*.json"))
        {
            File.Delete(old);
        }

        string scratch = Directory.CreateTempSubdirectory("taskflow-cassettes-").FullName;
        output.WriteLine($"Making the TaskFlow cassettes in {folder} with the scripted model (not an AI), in two recorded runs.");
        output.WriteLine();

        // Run 1: the schema merges first, so the frontend conflicts and is re-run. Every cassette but the schema's re-run.
        if (!await RecordAsync(Path.Combine(scratch, "1"), folder, first: "database-schema", second: "frontend-components", output, cancellationToken).ConfigureAwait(false))
        {
            return 1;
        }

        // Run 2: the frontend merges first, so the schema is re-run; only that re-run's cassette is kept from this run.
        string second = Path.Combine(scratch, "2-cassettes");
        if (!await RecordAsync(Path.Combine(scratch, "2"), second, first: "frontend-components", second: "database-schema", output, cancellationToken).ConfigureAwait(false))
        {
            return 1;
        }

        var rerun = new ConversationKey("database-schema", IsRerun: true);
        File.Copy(Path.Combine(second, rerun.CassetteFileName), Path.Combine(folder, rerun.CassetteFileName), overwrite: true);
        output.WriteLine();
        output.WriteLine("Cassettes written:");
        foreach (string file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            output.WriteLine($"  {Path.GetFileName(file),-34} {ChatCassette.Load(file).Exchanges.Count,3} exchanges");
        }

        output.WriteLine("Rebuild the sample to build them in (dotnet build samples/TaskFlow).");
        try
        {
            Directory.Delete(scratch, recursive: true);
        }
        catch (IOException)
        {
            // The two recorded runs' repositories are only scratch; a leftover in the temporary folder is harmless.
        }

        return 0;
    }

    private static async Task<bool> RecordAsync(string repository, string cassettes, string first, string second, TextWriter output, CancellationToken cancellationToken)
    {
        output.WriteLine($"== Recorded run: {first} merges first, so {second} conflicts and is re-run");
        var merged = new ConcurrentDictionary<string, TaskCompletionSource>(StringComparer.Ordinal);
        TaskCompletionSource MergedSignal(string task) => merged.GetOrAdd(task, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        var model = new ScriptedTaskFlowModel(async (key, ct) =>
        {
            if (!key.IsRerun && key.TaskId == second)
            {
                await MergedSignal(first).Task.WaitAsync(ct).ConfigureAwait(false);
            }
        });
        var scripted = new ScriptedChatClient((messages, options, ct) => model.RespondAsync(messages, ct));
        var log = new RunLog(output);
        var router = new ConversationRouter(key => new RecordingChatClient(scripted, Path.Combine(cassettes, key.CassetteFileName)), ScriptedTaskFlowModel.ModelId, log.Answered);
        TaskFlowApp.RunOutcome outcome = await TaskFlowApp.RunOnceAsync(repository, router, log, replay: false, e =>
        {
            if (e.Kind == AgentEventKind.BranchMerged && e.TaskId is not null)
            {
                MergedSignal(e.TaskId).TrySetResult();
            }
            else if (e.Kind is AgentEventKind.TaskFailed or AgentEventKind.TaskSkipped or AgentEventKind.MergeFailed && e.TaskId is not null)
            {
                // A waiting agent must not wait for a merge that will never come.
                MergedSignal(e.TaskId!).TrySetException(new InvalidOperationException($"{e.TaskId} did not merge: {e.Message}"));
            }
        }, cancellationToken).ConfigureAwait(false);

        MergeResult? conflict = outcome.Result.Merges.FirstOrDefault(m => m.Status == MergeStatus.Resolved);
        if (!outcome.Result.Succeeded || conflict?.TaskId != second || conflict.Resolver != "rerun-agent")
        {
            output.WriteLine($"The recorded run did not go as scripted ({outcome.Result}; expected {second} to conflict and be resolved by rerun-agent):");
            foreach (TaskResult task in outcome.Result.Tasks.Where(t => t.Error is not null))
            {
                output.WriteLine($"  {task}");
            }

            return false;
        }

        output.WriteLine($"{outcome.Result}");
        output.WriteLine();
        return true;
    }

    private static string? DefaultFolder()
    {
        for (DirectoryInfo? directory = new(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            string project = Path.Combine(directory.FullName, "samples", "TaskFlow", "TaskFlow.csproj");
            if (File.Exists(project))
            {
                return Path.Combine(directory.FullName, "samples", "TaskFlow", "cassettes");
            }
        }

        return null;
    }
}
