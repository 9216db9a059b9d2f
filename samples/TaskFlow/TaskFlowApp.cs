using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.AI;
using ParallelAgents.Sdk;
using Spectre.Console;

namespace TaskFlow;

/// <summary>
/// The TaskFlow run: makes a demo repository, writes its plan, and runs the original demo's four agents on it in
/// parallel, each in its own git worktree, with the engine merging their branches into main; then prints the merge
/// summary, where the reports, transcripts and shared memory are, and main's files.
/// </summary>
public static class TaskFlowApp
{
    /// <summary>Runs the sample as its command line says (see <see cref="TaskFlowOptions.Usage"/>).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where the run's log goes.</param>
    /// <param name="cancellationToken">Stops the run; the agents' work stays on their branches.</param>
    /// <returns>0 when every task succeeded (its work reached main); 1 when the run did not; 2 for a bad command line or setup.</returns>
    public static Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken = default) =>
        RunAsync(args, output, liveConsole: null, cancellationToken);

    /// <summary>Runs the sample as its command line says, showing the run as a live table on
    /// <paramref name="liveConsole"/> (a terminal) instead of a log line per event.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where the header and the summary go.</param>
    /// <param name="liveConsole">The terminal the live table is drawn on, or <see langword="null"/> for the plain log
    /// (redirected output, tests).</param>
    /// <param name="cancellationToken">Stops the run; the agents' work stays on their branches.</param>
    /// <returns>0 when every task succeeded (its work reached main); 1 when the run did not; 2 for a bad command line or setup.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, IAnsiConsole? liveConsole, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        TaskFlowOptions options;
        LiveModel? live;
        try
        {
            options = TaskFlowOptions.Parse(args);
            live = LiveModel.FromEnvironment();
        }
        catch (ArgumentException e)
        {
            output.WriteLine(e.Message);
            output.WriteLine();
            output.WriteLine(TaskFlowOptions.Usage);
            return 2;
        }

        if (options.Help)
        {
            output.WriteLine(TaskFlowOptions.Usage);
            return 0;
        }

        if (options.MakeCassettes)
        {
            return await CassetteMaker.RunAsync(options.CassettesPath, output, cancellationToken).ConfigureAwait(false);
        }

        bool useLive = options.Live || options.Record || (live is not null && !options.Offline);
        if (useLive && live is null)
        {
            output.WriteLine(
                $"{(options.Record ? "--record" : "--live")} needs a model, and {LiveModel.ApiKeyVariable} is not set. Set {LiveModel.ApiKeyVariable} " +
                $"(and optionally {LiveModel.BaseUrlVariable} for another OpenAI-compatible endpoint, {LiveModel.ModelVariable} for the model, " +
                $"default {LiveModel.DefaultModel}), or leave {(options.Record ? "--record" : "--live")} out to replay the prepared answers offline.");
            return 2;
        }

        string repository = options.RepositoryPath is null
            ? Path.Combine(Directory.CreateTempSubdirectory("taskflow-").FullName, "taskflow")
            : Path.GetFullPath(options.RepositoryPath);

        output.WriteLine("TaskFlow: four AI coding agents build a small task manager in parallel, each in its own git worktree.");
        if (useLive)
        {
            output.WriteLine($"Model: {live} (live).{(options.Record ? $" Recording each conversation to {Path.GetFullPath(options.CassettesPath ?? "cassettes")}." : "")}");
        }
        else
        {
            output.WriteLine("Model: none. This offline run REPLAYS PREPARED ANSWERS from cassettes (made by a scripted model, not an AI,");
            output.WriteLine($"       with --make-cassettes; {(options.CassettesPath is null ? "built into the sample from samples/TaskFlow/cassettes" : Path.GetFullPath(options.CassettesPath))}).");
            output.WriteLine("       The tools, commands, checks, git worktrees, merges and conflict resolution are real. Set OPENAI_API_KEY or use --live for a real model.");
        }

        // With the live table, the table shows what the log lines would: the log keeps only the usage for the summary.
        var log = new RunLog(output, logEvents: liveConsole is null);
        IChatClient? liveClient = useLive ? live!.CreateClient() : null;
        var replays = new ConcurrentDictionary<ConversationKey, ReplayChatClient>();
        Func<ConversationKey, IChatClient> open = liveClient is null
            ? key => replays.GetOrAdd(key, k => OpenReplay(options.CassettesPath, k))
            : options.Record
                ? key => new RecordingChatClient(liveClient, Path.Combine(options.CassettesPath ?? "cassettes", key.CassetteFileName), Redaction(live!))
                : _ => liveClient;
        var router = new ConversationRouter(open, useLive ? live!.Model : ScriptedTaskFlowModel.ModelId, log.Answered);
        try
        {
            RunOutcome outcome = await RunOnceAsync(repository, router, log, replay: !useLive, onEvent: null, liveConsole, cancellationToken).ConfigureAwait(false);
            var problems = new List<string>();
            foreach ((ConversationKey key, ReplayChatClient replay) in replays)
            {
                try
                {
                    replay.VerifyAllPlayed();
                }
                catch (ChatCassetteMismatchException e)
                {
                    problems.Add($"{key}: {e.Message}");
                }
            }

            PrintSummary(output, outcome, log, problems);
            output.WriteLine(useLive
                ? $"Live run finished in {log.Elapsed.TotalSeconds:0.0} s."
                : $"Offline run finished in {log.Elapsed.TotalSeconds:0.0} s: prepared answers replayed, everything else real.");
            // A task succeeds only once its branch reached main (or had nothing to merge): a merge that fails fails the task.
            return outcome.Result.Succeeded && problems.Count == 0 ? 0 : 1;
        }
        catch (Exception e) when (e is InvalidOperationException or ParallelAgentsConfigurationException or TaskPlanException or IOException)
        {
            output.WriteLine($"TaskFlow could not run: {e.Message}");
            return 2;
        }
        finally
        {
            liveClient?.Dispose();
        }
    }

    /// <summary>One run on a new demo repository at <paramref name="repository"/>: the repository, its plan, the engine
    /// (worktrees, shared memory file, merging) and the agents over <paramref name="chatClient"/>.</summary>
    internal static Task<RunOutcome> RunOnceAsync(
        string repository, IChatClient chatClient, RunLog log, bool replay, Action<AgentEvent>? onEvent, CancellationToken cancellationToken) =>
        RunOnceAsync(repository, chatClient, log, replay, onEvent, liveConsole: null, cancellationToken);

    /// <summary>One run, as <see cref="RunOnceAsync(string, IChatClient, RunLog, bool, Action{AgentEvent}?, CancellationToken)"/>;
    /// with <paramref name="liveConsole"/>, the run is shown as a live table there (ParallelAgents.Sdk.Console) and
    /// <paramref name="onEvent"/> is not called.</summary>
    internal static async Task<RunOutcome> RunOnceAsync(
        string repository, IChatClient chatClient, RunLog log, bool replay, Action<AgentEvent>? onEvent, IAnsiConsole? liveConsole, CancellationToken cancellationToken)
    {
        DemoRepository.Create(repository, TaskFlowPlan.Yaml);
        log.Line($"Repository: {repository} (branch main; worktrees in {repository}.worktrees)");
        log.Line("Plan: config/tasks.yaml, 4 tasks; database-schema and frontend-components start at once, backend-api after the schema, test-suite after both.");
        log.Line("");
        TaskPlan plan = await TaskPlan.LoadAsync(Path.Combine(repository, "config", "tasks.yaml"), cancellationToken).ConfigureAwait(false);

        string memoryPath = Path.Combine(repository, "shared-memory", "agent_memory.json");
        RunResult result;
        FileSharedMemory memory = SharedMemory.File(memoryPath);
        await using (memory.ConfigureAwait(false))
        {
            var builder = new ParallelAgentsBuilder()
                .UseRepository(repository, DemoRepository.MainBranch)
                .UseWorktreeIsolation()
                .UseChatClient(chatClient)
                .UseSharedMemory(memory)
                .WithMaxParallelAgents(4);
            if (replay)
            {
                // A replayed conversation cannot be tried again: its cassette has moved on. A failure is the answer.
                builder.WithRetry(o => o.MaxAttempts = 1);
            }

            AgentEngine engine = builder.Build();
            await using (engine.ConfigureAwait(false))
            {
                if (liveConsole is not null)
                {
                    result = await engine.RunWithLiveTableAsync(plan, liveConsole, cancellationToken).ConfigureAwait(false);
                    return new RunOutcome(repository, result, memoryPath);
                }

                // Subscribed before the run so that no event is missed; the stream ends at RunCompleted.
                IAsyncEnumerable<AgentEvent> events = engine.WatchAsync(cancellationToken);
                Task watcher = Task.Run(async () =>
                {
                    await foreach (AgentEvent e in events.ConfigureAwait(false))
                    {
                        log.Event(e);
                        onEvent?.Invoke(e);
                        if (e.Kind == AgentEventKind.RunCompleted)
                        {
                            break;
                        }
                    }
                }, cancellationToken);

                result = await engine.RunAsync(plan, cancellationToken).ConfigureAwait(false);
                await watcher.ConfigureAwait(false);
            }
        }

        return new RunOutcome(repository, result, memoryPath);
    }

    private static void PrintSummary(TextWriter output, RunOutcome outcome, RunLog log, List<string> problems)
    {
        RunResult result = outcome.Result;
        output.WriteLine();
        output.WriteLine("Tasks (* = includes its re-run to resolve a merge conflict)");
        output.WriteLine($"  {"task",-22} {"state",-10} {"model calls",11} {"tool calls",10} {"tokens in",10} {"tokens out",10} {"time",7}");
        foreach (TaskResult task in result.Tasks)
        {
            var usages = log.UsageByConversation.Where(u => u.Key.TaskId == task.TaskId).ToList();
            bool rerun = usages.Any(u => u.Key.IsRerun);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {task.TaskId + (rerun ? "*" : ""),-22} {task.State,-10} {usages.Sum(u => u.Value.Turns),11} {usages.Sum(u => u.Value.ToolCalls),10} {usages.Sum(u => u.Value.InputTokens),10:N0} {usages.Sum(u => u.Value.OutputTokens),10:N0} {task.Duration.TotalSeconds,6:0.0}s"));
            if (task.Error is not null)
            {
                output.WriteLine($"      {task.Error}");
            }
        }

        output.WriteLine();
        if (result.MergeSummaryPath is { } summary && File.Exists(summary))
        {
            output.WriteLine($"Merge summary ({summary}):");
            foreach (string line in File.ReadAllLines(summary))
            {
                output.WriteLine("  " + line);
            }
        }
        else
        {
            output.WriteLine("No merge summary was written (no task reached a merge).");
        }

        output.WriteLine();
        output.WriteLine("Where to look:");
        output.WriteLine($"  merge reports:  {Path.Combine(outcome.Repository, "reports")} (merge_<task>_<time>.json, merge_summary_<time>.txt)");
        output.WriteLine($"  run report:     {Path.Combine(outcome.Repository, "reports", $"run_{result.RunId}.json")} (each task's state, attempts, tokens, cost, merge)");
        output.WriteLine($"  status:         {Path.Combine(outcome.Repository, "reports")}/status_<unix-time>.json every 30 s while the run lasts");
        output.WriteLine($"  transcripts:    {Path.Combine(outcome.Repository, "reports", "agents")}/<task>/attempt-<n>.jsonl (every message, tool call, check)");
        output.WriteLine($"  shared memory:  {outcome.MemoryPath} (the agents' discoveries)");
        output.WriteLine($"  branches:       agent/<task> for each task, agent/<task>-rerun-<n> for a re-run; git -C {outcome.Repository} log --graph --oneline --all");

        output.WriteLine();
        output.WriteLine($"main now holds ({Path.Combine(outcome.Repository)}):");
        foreach ((string path, long size) in DemoRepository.Files(outcome.Repository))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {path,-36} {size,7:N0} bytes"));
        }

        output.WriteLine();
        foreach (string problem in problems)
        {
            output.WriteLine("Replay problem: " + problem);
        }

        output.WriteLine(result.ToString());
    }

    /// <summary>The player of one conversation's cassette, from <paramref name="folder"/> or, when it is
    /// <see langword="null"/>, from the cassettes built into the sample. Lenient: the roles of the messages and the
    /// names of the tool calls must match the recording, while the text that varies from run to run (ids, times, paths,
    /// which discoveries exist yet) is not compared.</summary>
    internal static ReplayChatClient OpenReplay(string? folder, ConversationKey key) =>
        new(LoadCassette(folder, key), new ReplayChatClientOptions { Matching = ChatRequestMatching.Lenient });

    private static ChatCassette LoadCassette(string? folder, ConversationKey key)
    {
        if (folder is not null)
        {
            return ChatCassette.Load(Path.Combine(folder, key.CassetteFileName));
        }

        string name = "cassettes/" + key.CassetteFileName;
        if (!SampleResources.Exists(name))
        {
            throw new InvalidOperationException(
                $"The sample has no cassette for the conversation {key} (samples/TaskFlow/cassettes/{key.CassetteFileName}); make the cassettes with --make-cassettes, or run live.");
        }

        return ChatCassette.Parse(SampleResources.Read(name), "samples/TaskFlow/" + name);
    }

    private static RecordingChatClientOptions Redaction(LiveModel live)
    {
        var options = new RecordingChatClientOptions();
        options.Secrets.Add(live.ApiKey);
        return options;
    }

    internal sealed record RunOutcome(string Repository, RunResult Result, string MemoryPath);
}
