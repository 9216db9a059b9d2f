using LibGit2Sharp;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>Builds a <see cref="ConflictContext"/> from a real conflicted merge of a branch into the main branch.</summary>
internal static class ConflictContexts
{
    public static ConflictContext Create(
        TestRepository repo,
        string taskId,
        string mainBranch = "main",
        Func<string, CancellationToken, ValueTask<WorkspaceCommit?>>? rerun = null,
        string? otherTaskId = null,
        string instructions = "Build the thing.")
    {
        string branch = "agent/" + taskId;
        string ours = repo.Tip(mainBranch), theirs = repo.Tip(branch);
        string mergeBase = repo.Git("merge-base", ours, theirs).Trim();
        var conflicts = new List<MergeConflict>();
        using (var repository = new Repository(repo.Path))
        {
            MergeTreeResult merge = repository.ObjectDatabase.MergeCommits(repository.Lookup<Commit>(ours), repository.Lookup<Commit>(theirs), new MergeTreeOptions());
            Assert.Equal(MergeTreeStatus.Conflicts, merge.Status);
            conflicts.AddRange(merge.Conflicts.Select(c => MergeConflictReader.Read(repository, c, otherTaskId)).OrderBy(c => c.Path, StringComparer.Ordinal));
        }

        return new ConflictContext
        {
            RunId = "run-1",
            Task = new AgentTask { Id = taskId, Instructions = instructions },
            Branch = branch,
            RepositoryPath = repo.Path,
            MainBranch = mainBranch,
            OursCommit = ours,
            TheirsCommit = theirs,
            BaseCommit = mergeBase,
            Conflicts = conflicts,
            RerunAgentAsync = rerun,
        };
    }
}
