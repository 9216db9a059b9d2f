using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Recovery;

/// <summary>The run journal's file: records, checksums, a torn last line, damage, and the plan it keeps; and resuming
/// a run of an engine without a repository from it.</summary>
public class RunJournalTests
{
    private static readonly TaskPlan ChainPlan = TaskPlan.Parse("""
        tasks:
          - id: a
            priority: high
            instructions: first
          - id: b
            priority: high
            dependencies: [a]
            instructions: second
          - id: c
            priority: low
            instructions: on its own
        """);

    [Fact]
    public void Read_PlanWithEveryField_ComesBackTheSame()
    {
        using var folder = new TempFolder();
        TaskPlan plan = TaskPlan.Parse("""
            setup: [npm ci]
            verify: [npm test, node --test]
            tasks:
              - id: api
                agent_count: 2
                isolation: container
                priority: low
                estimated_hours: 2.5
                timeout: 90s
                max_attempts: 5
                template: backend
                instructions: |
                  Build the API.
                  Keep "quotes" and üñíçødé.
                success_criteria: [returns JSON]
                checks: [node --test]
              - id: ui
                dependencies: [api]
                instructions: the UI
            """, "config/tasks.yaml");
        WriteJournal(folder.Path, "r1", plan, journal => { });

        TaskPlan read = RunJournalState.Read(RunJournal.PathFor(folder.Path, "r1"), NullLogger.Instance).Plan;

        Assert.Equal("config/tasks.yaml", read.SourcePath);
        Assert.Equal(["npm ci"], read.Setup);
        Assert.Equal(["npm test", "node --test"], read.Verify);
        for (int i = 0; i < plan.Tasks.Count; i++)
        {
            AgentTask expected = plan.Tasks[i], actual = read.Tasks[i];
            Assert.Equal(
                (expected.Id, expected.Instructions, expected.AgentCount, expected.Isolation, expected.Priority, expected.EstimatedHours,
                 expected.Timeout, expected.MaxAttempts, expected.Template),
                (actual.Id, actual.Instructions, actual.AgentCount, actual.Isolation, actual.Priority, actual.EstimatedHours,
                 actual.Timeout, actual.MaxAttempts, actual.Template));
            Assert.Equal(expected.Dependencies, actual.Dependencies);
            Assert.Equal(expected.SuccessCriteria, actual.SuccessCriteria);
            Assert.Equal(expected.Checks, actual.Checks);
        }
    }

    [Fact]
    public void Read_TornLastLine_IsIgnoredWithAWarningAndAppendingCutsItOff()
    {
        using var folder = new TempFolder();
        string path = WriteJournal(folder.Path, "r1", ChainPlan, journal =>
            journal.TaskEnded(ChainPlan.Tasks[0], 0, TaskState.Succeeded, null, DateTimeOffset.UnixEpoch));
        long whole = new FileInfo(path).Length;
        // The process died while writing a record: its first bytes are there, its newline is not.
        byte[] torn = Encoding.UTF8.GetBytes("0badf00d {\"t\":\"task\",\"task\":\"b\",\"state\":\"Succ");
        using (FileStream stream = new(path, FileMode.Append))
        {
            stream.Write(torn);
        }

        var logs = new ListLoggerFactory();
        RunJournalState state = RunJournalState.Read(path, logs.CreateLogger("test"));

        Assert.True(state.TornTail);
        Assert.Equal(whole, state.ValidLength);
        Assert.Equal(TaskState.Succeeded, state.Tasks[0].State);
        Assert.Null(state.Tasks[1].State);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("incomplete", StringComparison.Ordinal));

        using (RunJournal journal = RunJournal.Append(path, state.ValidLength, NullLogger.Instance, new SecretRedactor([])))
        {
            journal.TaskEnded(ChainPlan.Tasks[1], 1, TaskState.Failed, "broke", DateTimeOffset.UnixEpoch);
        }

        RunJournalState again = RunJournalState.Read(path, NullLogger.Instance);
        Assert.False(again.TornTail);
        Assert.Equal(TaskState.Failed, again.Tasks[1].State);
        Assert.Equal("broke", again.Tasks[1].Reason);
        Assert.Equal(again.ValidLength, new FileInfo(path).Length);
    }

    [Fact]
    public void Read_DamagedRecordBeforeTheLast_ThrowsNamingTheLine()
    {
        using var folder = new TempFolder();
        string path = WriteJournal(folder.Path, "r1", ChainPlan, journal =>
        {
            journal.TaskEnded(ChainPlan.Tasks[0], 0, TaskState.Succeeded, null, DateTimeOffset.UnixEpoch);
            journal.TaskEnded(ChainPlan.Tasks[2], 2, TaskState.Succeeded, null, DateTimeOffset.UnixEpoch);
        });
        string[] lines = File.ReadAllLines(path);
        lines[1] = lines[1].Replace("Succeeded", "Succeedex", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);

        var error = Assert.Throws<InvalidDataException>(() => RunJournalState.Read(path, NullLogger.Instance));

        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_RunIdThatHasAJournal_ThrowsSayingToResume()
    {
        using var folder = new TempFolder();
        WriteJournal(folder.Path, "r1", ChainPlan, journal => { });

        var error = Assert.Throws<InvalidOperationException>(() => RunJournal.Create(folder.Path, "r1", NullLogger.Instance, new SecretRedactor([])));

        Assert.Contains("ResumeAsync(\"r1\")", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResumeAsync_EngineWithoutJournals_ThrowsSayingHowToKeepThem()
    {
        await using AgentEngine engine = EngineFactory.Create((_, _) => ValueTask.FromResult(AgentOutcome.Success()));

        Assert.Null(engine.StateDirectory);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.ResumeAsync("r1", TestContext.Current.CancellationToken));
        Assert.Contains("WithStateDirectory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResumeAsync_UnknownRun_ThrowsListingTheRunsThere()
    {
        using var folder = new TempFolder();
        await using AgentEngine engine = Build(folder.Path, (_, _) => ValueTask.FromResult(AgentOutcome.Success()));
        RunResult first = await engine.RunAsync(ChainPlan, TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.ResumeAsync("no-such-run", TestContext.Current.CancellationToken));

        Assert.Contains("'no-such-run'", error.Message, StringComparison.Ordinal);
        Assert.Contains(first.RunId, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResumeAsync_RunCancelledWhileATaskRan_RunsOnlyWhatHadNotSucceeded()
    {
        using var folder = new TempFolder();
        var calls = new ConcurrentQueue<string>();
        var bStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bool firstRun = true;
        await using AgentEngine engine = Build(folder.Path, async (context, ct) =>
        {
            calls.Enqueue(context.Task.Id);
            if (firstRun && context.Task.Id == "b")
            {
                bStarted.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            return AgentOutcome.Success("did " + context.Task.Id);
        });

        Task<RunResult> running = engine.RunAsync(ChainPlan, cts.Token);
        await bStarted.Task;
        await cts.CancelAsync();
        RunResult cancelled = await running;
        firstRun = false;
        string path = RunJournal.PathFor(engine.StateDirectory!, cancelled.RunId);
        RunJournalState before = RunJournalState.Read(path, NullLogger.Instance);

        RunResult resumed = await engine.ResumeAsync(cancelled.RunId, TestContext.Current.CancellationToken);

        Assert.True(cancelled.WasCancelled);
        Assert.True(before.Ended);
        Assert.True(before.Resumable, "a run cancelled with tasks left says it can be resumed");
        Assert.True(resumed.Succeeded, resumed.ToString());
        Assert.Equal(cancelled.RunId, resumed.RunId);
        Assert.Equal(["a", "b", "b", "c"], calls);
        // The task that ran again numbers its attempt after the one that was stopped.
        Assert.Equal(2, resumed["b"].Attempts.Single().Attempt);
        Assert.Empty(resumed["a"].Attempts);
        RunJournalState after = RunJournalState.Read(path, NullLogger.Instance);
        Assert.True(after.Ended);
        Assert.False(after.Resumable);

        // Resuming a finished run runs nothing and reports it as it ended.
        RunResult again = await engine.ResumeAsync(cancelled.RunId, TestContext.Current.CancellationToken);
        Assert.True(again.Succeeded);
        Assert.Equal(4, calls.Count);
    }

    [Fact]
    public async Task ResumeAsync_FailedTask_StaysFailedAndItsDependentsSkipped()
    {
        using var folder = new TempFolder();
        var calls = new ConcurrentQueue<string>();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bool firstRun = true;
        await using AgentEngine engine = Build(folder.Path, async (context, ct) =>
        {
            calls.Enqueue(context.Task.Id);
            if (context.Task.Id == "a")
            {
                return AgentOutcome.Failure("cannot");
            }

            if (firstRun)
            {
                // c is stopped with the run, after a's failure skipped b.
                await cts.CancelAsync();
                await Task.Delay(Timeout.Infinite, ct);
            }

            return AgentOutcome.Success();
        });
        RunResult first = await engine.RunAsync(ChainPlan, cts.Token);
        firstRun = false;
        Assert.Equal(TaskState.Cancelled, first["c"].State);

        RunResult resumed = await engine.ResumeAsync(first.RunId, TestContext.Current.CancellationToken);

        Assert.Equal(TaskState.Failed, resumed["a"].State);
        Assert.Equal("cannot", resumed["a"].Error);
        Assert.Equal(TaskState.Skipped, resumed["b"].State);
        Assert.Equal(TaskState.Succeeded, resumed["c"].State);
        Assert.Equal(["a", "c", "c"], calls);
    }

    private static AgentEngine Build(string stateDirectory, Func<AgentContext, CancellationToken, ValueTask<AgentOutcome>> agent) =>
        new ParallelAgentsBuilder()
            .UseAgent(agent)
            .WithMaxParallelAgents(1)
            .WithRetry(r => r.MaxAttempts = 1)
            .WithStateDirectory(stateDirectory)
            .Build();

    private static string WriteJournal(string folder, string runId, TaskPlan plan, Action<RunJournal> write)
    {
        using RunJournal journal = RunJournal.Create(folder, runId, NullLogger.Instance, new SecretRedactor([]));
        journal.Begin(runId, plan, "0123456789abcdef0123456789abcdef01234567", DateTimeOffset.UnixEpoch);
        write(journal);
        return journal.Path;
    }
}
