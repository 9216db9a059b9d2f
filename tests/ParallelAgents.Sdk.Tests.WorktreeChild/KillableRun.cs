using System.Globalization;

namespace ParallelAgents.Sdk.Tests.WorktreeChild;

/// <summary>
/// A run for the tests to kill with SIGKILL at a chosen point and resume in another process. The child prints
/// <c>POINT &lt;kill-point&gt;</c> when it has reached the point and then waits to be killed; the test reads that line
/// and kills it then, so no timing is involved.
/// </summary>
/// <remarks>
/// <para>The plan: <c>a</c>, then <c>b</c> (after <c>a</c>), then <c>c</c> (after <c>b</c>), and <c>d</c> on its own; one
/// agent at a time, so the order is fixed. Each agent appends <c>start &lt;task&gt; &lt;attempt&gt;</c> and, when it has
/// done its work, <c>done &lt;task&gt;</c> to the side-effects log, and <c>continued &lt;task&gt;</c> when it finds the work in
/// progress of an earlier attempt on its branch.</para>
/// <para>Kill points: <c>running:&lt;task&gt;</c> (the agent committed half its work and runs), <c>merge:&lt;task&gt;</c> (the
/// task's merge moved the main branch; the journal has not recorded it), <c>succeeded:&lt;task&gt;</c> (merged and
/// journaled, the task's final state not yet), <c>end</c> (every task done, the run's end not journaled).</para>
/// </remarks>
public static class KillableRun
{
    /// <summary>The run's id.</summary>
    public const string RunId = "20261130T000000Z-killed";

    /// <summary>The tasks, in the order they run.</summary>
    public static readonly string[] TaskIds = ["a", "b", "c", "d"];

    /// <summary>The plan.</summary>
    public static TaskPlan Plan() => TaskPlan.Parse("""
        tasks:
          - id: a
            priority: high
            instructions: write a.txt
          - id: b
            priority: high
            dependencies: [a]
            instructions: write b.txt
          - id: c
            priority: high
            dependencies: [b]
            instructions: write c.txt
          - id: d
            priority: low
            instructions: write d.txt
        """);

    /// <summary>The engine, the same in the child and in the test that resumes its run.</summary>
    /// <param name="repository">The repository.</param>
    /// <param name="log">The side-effects log.</param>
    /// <param name="point">Where to stop, or <see langword="null"/> not to stop.</param>
    /// <param name="strategy">How branches are merged.</param>
    public static AgentEngine Build(string repository, string log, string? point, MergeStrategy strategy = MergeStrategy.MergeCommit)
    {
        AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repository)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseConflictForecasting(false)
            .UseMerging(o => o.Strategy = strategy)
            .WithMaxParallelAgents(1)
            .UseAgent(async (context, ct) =>
            {
                string id = context.Task.Id;
                IAgentWorkspace workspace = context.Workspace!;
                Append(log, string.Create(CultureInfo.InvariantCulture, $"start {id} {context.Attempt}"));
                if (workspace.Files.FileExists(id + ".wip"))
                {
                    Append(log, "continued " + id);
                }

                if (point == "running:" + id)
                {
                    await workspace.Files.WriteAllTextAsync(id + ".wip", "half done\n", ct);
                    await workspace.CommitAsync(id + ": half done", ct);
                    Reached(point);
                    await Task.Delay(Timeout.Infinite, ct);
                }

                await workspace.Files.WriteAllTextAsync(id + ".txt", id + "\n", ct);
                Append(log, "done " + id);
                return AgentOutcome.Success("wrote " + id + ".txt");
            })
            .Build();
        if (point is not null)
        {
            engine.AddObserver(new KillPoint(point));
        }

        return engine;
    }

    /// <summary>Runs the plan until the kill point: <c>&lt;repository&gt; &lt;side-effects-log&gt; &lt;kill-point&gt; &lt;merge-strategy&gt;</c>.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        if (args.Length != 4)
        {
            await Console.Error.WriteLineAsync("usage: run-plan <repository> <side-effects-log> <kill-point> <merge-strategy>");
            return 2;
        }

        await using AgentEngine engine = Build(args[0], args[1], args[2], Enum.Parse<MergeStrategy>(args[3]));
        RunResult result = await engine.RunAsync(Plan(), RunId, CancellationToken.None);
        Console.WriteLine("ENDED " + result);
        return 1;
    }

    private static void Append(string log, string line) => File.AppendAllText(log, line + "\n");

    private static void Reached(string point)
    {
        Console.WriteLine("POINT " + point);
        Console.Out.Flush();
    }

    /// <summary>Stops the process for good at the kill point. Observers run in the order they were added, and the
    /// run's journal comes last, so the step this one stops at is never journaled.</summary>
    private sealed class KillPoint(string point) : RunObserver
    {
        public override void MergeEnded(AgentTask task, MergeResult merge) => StopAt("merge:" + task.Id);

        public override void TaskEnded(AgentTask task, int taskIndex, TaskState state, string? reason, DateTimeOffset at) =>
            StopAt((state == TaskState.Succeeded ? "succeeded:" : "ended:") + task.Id);

        public override void RunEnded(RunResult result) => StopAt("end");

        private void StopAt(string here)
        {
            if (here == point)
            {
                Reached(point);
                Thread.Sleep(Timeout.Infinite);
            }
        }
    }
}
