using System.Text.RegularExpressions;
using ParallelAgents.Sdk.Tests.TestSupport;
using ParallelAgents.Sdk.Tests.WorktreeChild;

namespace ParallelAgents.Sdk.Tests.Recovery;

/// <summary>A child process runs a plan on a real repository and is killed with SIGKILL at a point it announces; this
/// process then resumes the run from its journal and checks that nothing was lost and nothing done twice.</summary>
public class ResumeAfterKillTests
{
    [Theory]
    [InlineData("running:a", MergeStrategy.MergeCommit)]
    [InlineData("running:b", MergeStrategy.MergeCommit)]
    [InlineData("merge:a", MergeStrategy.MergeCommit)]
    [InlineData("merge:b", MergeStrategy.MergeCommit)]
    [InlineData("merge:b", MergeStrategy.Squash)]
    [InlineData("merge:a", MergeStrategy.FastForward)]
    [InlineData("succeeded:b", MergeStrategy.MergeCommit)]
    [InlineData("end", MergeStrategy.MergeCommit)]
    public async Task ResumeAsync_AfterSigkill_FinishesTheRunWithEveryTaskDoneAndMergedOnce(string point, MergeStrategy strategy)
    {
        using var repo = new GitRepository(("README.md", "# demo\n"));
        string log = Path.Combine(repo.Parent, "effects.log");

        await ChildProgram.RunUntilAndKillAsync("POINT " + point, "run-plan", repo.Path, log, point, strategy.ToString());

        await using AgentEngine engine = KillableRun.Build(repo.Path, log, point: null, strategy);
        RunResult result = await engine.ResumeAsync(KillableRun.RunId, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(KillableRun.RunId, result.RunId);
        string[] effects = File.ReadAllLines(log);
        foreach (string task in KillableRun.TaskIds)
        {
            // Each agent's work was done exactly once, over both processes.
            Assert.Equal(1, effects.Count(l => l == "done " + task));
        }

        string history = repo.Git("log", "--first-parent", "--format=%B", "main");
        foreach (string task in KillableRun.TaskIds)
        {
            Assert.Equal(task + "\n", repo.Git("show", $"main:{task}.txt"));
            if (strategy != MergeStrategy.FastForward)
            {
                Assert.Equal(1, Regex.Count(history, $"^ParallelAgents-Task: {task}$", RegexOptions.Multiline));
            }
        }

        // One commit on main's first-parent line per task: its merge commit, or with a fast-forward its own commit.
        Assert.Equal(4, repo.Git("rev-list", "--first-parent", "main").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
        if (point.StartsWith("running:", StringComparison.Ordinal))
        {
            // The killed agent's committed work was on its branch when its task started again.
            string task = point["running:".Length..];
            Assert.Contains("continued " + task, effects);
            Assert.Equal(2, effects.Count(l => l.StartsWith($"start {task} ", StringComparison.Ordinal)));
        }
        else
        {
            Assert.DoesNotContain(effects, l => l.StartsWith("continued", StringComparison.Ordinal));
        }

        Assert.Single(repo.Worktrees());
        repo.AssertFsckClean();
        Assert.DoesNotContain(repo.Git("branch", "--list"), "-before-", StringComparison.Ordinal);

        if (point.StartsWith("merge:", StringComparison.Ordinal))
        {
            Assert.Contains(result.Merges, m => m.TaskId == point["merge:".Length..] && m.Message!.Contains("before the process stopped", StringComparison.Ordinal));
        }

        RunJournalState journal = RunJournalState.Read(RunJournal.PathFor(engine.StateDirectory!, KillableRun.RunId), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.True(journal.Ended);
        Assert.False(journal.Resumable);
        Assert.All(journal.Tasks, t => Assert.Equal(TaskState.Succeeded, t.State));
    }
}
