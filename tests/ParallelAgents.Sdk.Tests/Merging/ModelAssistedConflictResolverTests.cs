using LibGit2Sharp;
using Microsoft.Extensions.AI;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Merging;

/// <summary>The model-assisted resolver on real conflicted merges, with a scripted model.</summary>
public sealed class ModelAssistedConflictResolverTests
{
    private const string BaseText = "alpha\nbeta\ngamma\ndelta\n";
    private const string OursText = "alpha\nbeta from main\ngamma\ndelta\n";
    private const string TheirsText = "alpha\nbeta from the task\ngamma\ndelta\n";
    private const string ResolvedText = "alpha\nbeta from main and the task\ngamma\ndelta\n";

    private static readonly TaskPlan Plan = TaskPlan.Create(
    [
        new AgentTask { Id = "other", Instructions = "Make beta say it comes from main." },
        new AgentTask { Id = "x", Instructions = "Make beta say it comes from the task." },
    ]);

    [Fact]
    public async Task ResolveAsync_GoodAnswer_CommitsResolvedFileWithTheRestOfTheMergeOnAResolvedBranch()
    {
        using MergeTestRepository repo = Conflicted();
        Dictionary<string, byte[]> before = repo.Snapshot();
        var model = new ScriptedChatClient().EnqueueText($"Here is the merged file:\n```resolved\n{ResolvedText}```\nBoth changes are kept.");
        var resolver = new ModelAssistedConflictResolver(model);

        ConflictResolution resolution = await resolver.ResolveAsync(Context(repo), TestContext.Current.CancellationToken);

        Assert.True(resolution.IsResolved, resolution.Reason);
        string commit = resolution.CommitId!;
        Assert.Equal(commit, repo.RevParse("agent/x-resolved"));
        Assert.Equal([repo.RevParse("main"), repo.RevParse("agent/x")], repo.Parents(commit));
        Assert.Equal(ResolvedText, repo.ShowFile(commit, "a.txt") + "\n");
        Assert.Equal("from the task\n", repo.ShowFile(commit, "task.txt") + "\n");
        Assert.Equal("from main\n", repo.ShowFile(commit, "main.txt") + "\n");
        Assert.Equal("1 task\n2\n3\n4\n5\n6 main\n", repo.ShowFile(commit, "b.txt") + "\n");
        Assert.Equal(["a.txt", "b.txt", "main.txt", "task.txt"], repo.TreeFiles(commit));
        Assert.Contains("a.txt", resolution.Reason, StringComparison.Ordinal);
        Assert.Equal(before, repo.Snapshot());
        Assert.Equal("main", repo.Git("branch", "--show-current"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task ResolveAsync_Request_HoldsBaseOursTheirsAndBothTasksInstructions()
    {
        using MergeTestRepository repo = Conflicted();
        var model = new ScriptedChatClient().EnqueueText($"```resolved\n{ResolvedText}```");
        var resolver = new ModelAssistedConflictResolver(model, new ModelAssistedConflictResolverOptions { ChatOptions = new ChatOptions { ModelId = "merge-model", Temperature = 0 } });

        await resolver.ResolveAsync(Context(repo), TestContext.Current.CancellationToken);

        ScriptedChatRequest request = Assert.Single(model.Requests);
        Assert.Equal("merge-model", request.Options?.ModelId);
        Assert.Equal([ChatRole.System, ChatRole.User], request.Messages.Select(m => m.Role));
        string prompt = request.Messages[1].Text;
        Assert.Contains("`a.txt` (content conflict)", prompt, StringComparison.Ordinal);
        Assert.Contains("```\n" + BaseText + "```", prompt, StringComparison.Ordinal);
        Assert.Contains("```\n" + OursText + "```", prompt, StringComparison.Ordinal);
        Assert.Contains("```\n" + TheirsText + "```", prompt, StringComparison.Ordinal);
        Assert.Contains("Make beta say it comes from the task.", prompt, StringComparison.Ordinal);
        Assert.Contains("Make beta say it comes from main.", prompt, StringComparison.Ordinal);
        Assert.Contains("changed by task 'other'", prompt, StringComparison.Ordinal);
        Assert.Contains("main's lines 2; agent/x's lines 2.", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_FileWithBackticks_IsFencedLongerAndTheAnswerIsReadWithThatFence()
    {
        using MergeTestRepository repo = Conflicted(extra: "```\ncode\n```\n");
        string resolved = ResolvedText + "```\ncode\n```\n";
        var model = new ScriptedChatClient().EnqueueText($"````resolved\n{resolved}````\n");
        var resolver = new ModelAssistedConflictResolver(model);

        ConflictResolution resolution = await resolver.ResolveAsync(Context(repo), TestContext.Current.CancellationToken);

        Assert.True(resolution.IsResolved, resolution.Reason);
        Assert.Contains("````resolved", Assert.Single(model.Requests).Messages[1].Text, StringComparison.Ordinal);
        Assert.Equal(resolved, repo.ShowFile(resolution.CommitId!, "a.txt") + "\n");
    }

    [Fact]
    public async Task ResolveAsync_JsonAnswer_IsAccepted()
    {
        using MergeTestRepository repo = Conflicted();
        string json = System.Text.Json.JsonSerializer.Serialize(new { content = ResolvedText });
        var resolver = new ModelAssistedConflictResolver(new ScriptedChatClient().EnqueueText("```json\n" + json + "\n```"));

        ConflictResolution resolution = await resolver.ResolveAsync(Context(repo), TestContext.Current.CancellationToken);

        Assert.True(resolution.IsResolved, resolution.Reason);
        Assert.Equal(ResolvedText, repo.ShowFile(resolution.CommitId!, "a.txt") + "\n");
    }

    [Fact]
    public async Task ResolveAsync_AnswerWithConflictMarkers_IsRefusedAndNothingIsWritten()
    {
        using MergeTestRepository repo = Conflicted();
        string refs = repo.Git("for-each-ref"), objects = repo.Git("count-objects", "-v");
        var model = new ScriptedChatClient().EnqueueText("```resolved\nalpha\n<<<<<<< main\nbeta from main\n=======\nbeta from the task\n>>>>>>> agent/x\ngamma\ndelta\n```");
        var resolver = new ModelAssistedConflictResolver(model);

        ConflictResolution resolution = await resolver.ResolveAsync(Context(repo), TestContext.Current.CancellationToken);

        Assert.False(resolution.IsResolved);
        Assert.Equal("The model's resolution of a.txt still has the conflict marker line '<<<<<<< main'; refused.", resolution.Reason);
        Assert.Equal(refs, repo.Git("for-each-ref"));
        Assert.Equal(objects, repo.Git("count-objects", "-v"));
    }

    [Fact]
    public async Task ResolveAsync_FileWithByteOrderMark_ResolutionKeepsIt()
    {
        const string bom = "\uFEFF";
        using MergeTestRepository repo = MergeTestRepository.Create(new Dictionary<string, string> { ["a.txt"] = "x" });
        repo.OnBranch("agent/x", "main", r => File.WriteAllText(Path.Combine(r.Root, "a.txt"), bom + TheirsText, new System.Text.UTF8Encoding(false)));
        repo.OnMain(r => File.WriteAllText(Path.Combine(r.Root, "a.txt"), bom + OursText, new System.Text.UTF8Encoding(false)));
        var resolver = new ModelAssistedConflictResolver(new ScriptedChatClient().EnqueueText($"```resolved\n{ResolvedText}```"));

        ConflictResolution resolution = await resolver.ResolveAsync(Context(repo), TestContext.Current.CancellationToken);

        Assert.True(resolution.IsResolved, resolution.Reason);
        byte[] expected = [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(ResolvedText)];
        using var repository = new Repository(repo.Root);
        using var content = new MemoryStream();
        using (Stream blob = ((Blob)repository.Lookup(resolution.CommitId! + ":a.txt")).GetContentStream())
        {
            blob.CopyTo(content);
        }

        Assert.Equal(expected, content.ToArray());
    }

    [Theory]
    [InlineData("", "the answer was empty")]
    [InlineData("I merged it for you: alpha, beta, gamma.", "it holds no fenced block tagged 'resolved' (it begins: \"I merged it for you: alpha, beta, gamma.\")")]
    [InlineData("```resolved\nalpha\nbeta", "its block opened with '```resolved' is never closed")]
    [InlineData("```text\na\n```\n```text\nb\n```", "it holds 2 fenced blocks and none is tagged 'resolved'")]
    [InlineData("```json\n{\"file\": 1}\n```", "its json block holds no object with a \"content\" string")]
    public async Task ResolveAsync_MalformedAnswer_NotResolvedWithTheReason(string answer, string problem)
    {
        using MergeTestRepository repo = Conflicted();
        var resolver = new ModelAssistedConflictResolver(new ScriptedChatClient().EnqueueText(answer));

        ConflictResolution resolution = await resolver.ResolveAsync(Context(repo), TestContext.Current.CancellationToken);

        Assert.False(resolution.IsResolved);
        Assert.Equal($"The model's answer for a.txt is malformed: {problem}.", resolution.Reason);
        Assert.False(repo.TryGit("rev-parse", "--verify", "-q", "refs/heads/agent/x-resolved").Exit == 0);
    }

    [Fact]
    public async Task ResolveAsync_ModelThrows_NotResolvedWithTheError()
    {
        using MergeTestRepository repo = Conflicted();
        Func<IReadOnlyList<ChatMessage>, ChatOptions?, CancellationToken, ChatResponse> fail = (_, _, _) => throw new HttpRequestException("503 from the model");
        var resolver = new ModelAssistedConflictResolver(new ScriptedChatClient(fail));

        ConflictResolution resolution = await resolver.ResolveAsync(Context(repo), TestContext.Current.CancellationToken);

        Assert.False(resolution.IsResolved);
        Assert.Equal("Asking the model to resolve a.txt failed: HttpRequestException: 503 from the model", resolution.Reason);
    }

    [Fact]
    public async Task ResolveAsync_BinaryConflict_NotResolvedWithoutAskingTheModel()
    {
        using MergeTestRepository repo = MergeTestRepository.Create(new Dictionary<string, string> { ["img.bin"] = "\0base\0" });
        repo.OnBranch("agent/x", "main", r => r.Write("img.bin", "\0task\0"));
        repo.OnMain(r => r.Write("img.bin", "\0main\0"));
        var model = new ScriptedChatClient();
        var resolver = new ModelAssistedConflictResolver(model);

        ConflictResolution resolution = await resolver.ResolveAsync(Context(repo), TestContext.Current.CancellationToken);

        Assert.False(resolution.IsResolved);
        Assert.Equal("img.bin is binary; the model only merges text.", resolution.Reason);
        Assert.Empty(model.Requests);
    }

    [Fact]
    public async Task ResolveAsync_FileOverTheSizeCap_NotResolvedWithoutAskingTheModel()
    {
        string big = string.Concat(Enumerable.Range(0, 200).Select(i => $"line {i:D4} of a long file\n"));
        using MergeTestRepository repo = MergeTestRepository.Create(new Dictionary<string, string> { ["a.txt"] = "head\n" + big });
        repo.OnBranch("agent/x", "main", r => r.Write("a.txt", "task\n" + big));
        repo.OnMain(r => r.Write("a.txt", "main\n" + big));
        var model = new ScriptedChatClient();
        var resolver = new ModelAssistedConflictResolver(model, new ModelAssistedConflictResolverOptions { MaxFileBytes = 2048 });

        ConflictResolution resolution = await resolver.ResolveAsync(Context(repo), TestContext.Current.CancellationToken);

        Assert.False(resolution.IsResolved);
        Assert.StartsWith("a.txt is 5,", resolution.Reason, StringComparison.Ordinal);
        Assert.EndsWith("bytes, over the 2,048 sent to the model (ModelAssistedConflictResolverOptions.MaxFileBytes).", resolution.Reason, StringComparison.Ordinal);
        Assert.Empty(model.Requests);
    }

    [Fact]
    public async Task ResolveAsync_ModifyDeleteConflict_NotResolved()
    {
        using MergeTestRepository repo = MergeTestRepository.Create(new Dictionary<string, string> { ["a.txt"] = BaseText });
        repo.OnBranch("agent/x", "main", r => r.Delete("a.txt"));
        repo.OnMain(r => r.Write("a.txt", OursText));
        var resolver = new ModelAssistedConflictResolver(new ScriptedChatClient());

        ConflictResolution resolution = await resolver.ResolveAsync(Context(repo), TestContext.Current.CancellationToken);

        Assert.False(resolution.IsResolved);
        Assert.Equal("a.txt is a modify/delete conflict; the model only merges the content of files both sides kept.", resolution.Reason);
    }

    [Fact]
    public void Constructor_TemplateWithoutTheVersions_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new ModelAssistedConflictResolver(new ScriptedChatClient(), new ModelAssistedConflictResolverOptions { PromptTemplate = "Resolve {path}." }));

        Assert.Contains("{ours} and {theirs}", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new ModelAssistedConflictResolver(new ScriptedChatClient(), new ModelAssistedConflictResolverOptions { MaxFiles = 0 }));
    }

    [Fact]
    public async Task MergeAsync_ResolutionFailsVerify_IsRefusedAndTheNextResolverIsAsked()
    {
        using MergeTestRepository repo = Conflicted();
        string main = repo.RevParse("main");
        var model = new ScriptedChatClient().EnqueueText("```resolved\nalpha\nbeta dropped both\ngamma\ndelta\n```");
        var next = new TestResolver("next", _ => ConflictResolution.NotResolved("declined"));
        await using var merger = new BranchMerger(repo.Options(o => o.VerifyCommands.Add("grep -q 'from main and the task' a.txt")));

        MergeResult result = await merger.MergeAsync(Request([new ModelAssistedConflictResolver(model), next]), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.VerifyFailed, result.Status);
        Assert.Single(next.Calls);
        Assert.Collection(
            result.ResolverAttempts,
            a => Assert.StartsWith("model-assisted: refused: 'grep -q 'from main and the task' a.txt' failed on the merge of ", a, StringComparison.Ordinal),
            a => Assert.Equal("next: not resolved: declined", a));
        Assert.Equal(main, repo.RevParse("main"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task MergeAsync_GoodResolutionPassesVerify_MainGetsTheResolvedFileAndBothSidesWork()
    {
        using MergeTestRepository repo = Conflicted();
        var model = new ScriptedChatClient().EnqueueText($"```resolved\n{ResolvedText}```");
        await using var merger = new BranchMerger(repo.Options(o => o.VerifyCommands.Add("grep -q 'from main and the task' a.txt")));

        MergeResult result = await merger.MergeAsync(Request([new ModelAssistedConflictResolver(model)]), TestContext.Current.CancellationToken);

        Assert.Equal(MergeStatus.Resolved, result.Status);
        Assert.Equal("model-assisted", result.Resolver);
        Assert.Equal(ResolvedText, repo.Read("a.txt"));
        Assert.Equal(["a.txt", "b.txt", "main.txt", "task.txt"], repo.TreeFiles("main"));
        Assert.Equal(result.ResolutionCommit, repo.RevParse("agent/x-resolved"));
        repo.AssertFsckClean();
    }

    [Fact]
    public async Task RunAsync_TwoTasksEditTheSameLine_ModelResolvesAndTheRunEndsResolvedWithMainHoldingTheResolution()
    {
        using var repo = new GitRepository(("shared.txt", "line 1\nTITLE\nline 3\n"));
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: first
                instructions: set the title to FIRST
              - id: second
                instructions: set the title to SECOND
            """);
        var model = new ScriptedChatClient((_, _, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, "```resolved\nline 1\nFIRST+SECOND\nline 3\n```")));
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repo.Path)
            .UseWorktreeIsolation()
            .WithMaxParallelAgents(2)
            .WithReportsDirectory(null)
            .UseConflictResolver(new ModelAssistedConflictResolver(model))
            .UseConflictResolver(new ReportOnlyResolver())
            .UseAgent(async (context, ct) =>
            {
                WorkspaceFiles files = context.Workspace!.Files;
                string text = await files.ReadAllTextAsync("shared.txt", ct);
                await files.WriteAllTextAsync("shared.txt", text.Replace("TITLE", context.Task.Id.ToUpperInvariant(), StringComparison.Ordinal), ct);
                return AgentOutcome.Success("set the title");
            })
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        MergeResult resolved = Assert.Single(result.Merges, m => m.Status == MergeStatus.Resolved);
        Assert.Equal("model-assisted", resolved.Resolver);
        Assert.Equal("line 1\nFIRST+SECOND\nline 3\n", repo.Git("show", "main:shared.txt"));
        string prompt = Assert.Single(model.Requests).Messages[^1].Text;
        Assert.Contains("set the title to FIRST", prompt, StringComparison.Ordinal);
        Assert.Contains("set the title to SECOND", prompt, StringComparison.Ordinal);
        Assert.Single(repo.Worktrees());
        repo.AssertFsckClean();
    }

    /// <summary>main and agent/x change line 2 of a.txt differently, each changes another line of b.txt (which merges
    /// cleanly into a new version), and each adds a file of its own.</summary>
    private static MergeTestRepository Conflicted(string extra = "")
    {
        MergeTestRepository repo = MergeTestRepository.Create(new Dictionary<string, string> { ["a.txt"] = BaseText + extra, ["b.txt"] = "1\n2\n3\n4\n5\n6\n" });
        repo.OnBranch("agent/x", "main", r =>
        {
            r.Write("a.txt", TheirsText + extra);
            r.Write("b.txt", "1 task\n2\n3\n4\n5\n6\n");
            r.Write("task.txt", "from the task\n");
        });
        repo.OnMain(
            r =>
            {
                r.Write("a.txt", OursText + extra);
                r.Write("b.txt", "1\n2\n3\n4\n5\n6 main\n");
                r.Write("main.txt", "from main\n");
            },
            "Merge branch 'agent/other' into main (task other)\n\nParallelAgents-Task: other\n");
        return repo;
    }

    private static ConflictContext Context(MergeTestRepository repo)
    {
        string ours = repo.RevParse("main"), theirs = repo.RevParse("agent/x");
        using var repository = new Repository(repo.Root);

        // The merge's own writes (the clean merge of b.txt) stay in memory, so the resolver must write what it needs.
        repository.ObjectDatabase.AddBackend(new ScratchObjectBackend(), ScratchObjectBackend.Priority);
        Commit oursCommit = repository.Lookup<Commit>(ours), theirsCommit = repository.Lookup<Commit>(theirs);
        MergeTreeResult merge = repository.ObjectDatabase.MergeCommits(oursCommit, theirsCommit, new MergeTreeOptions());
        Assert.Equal(MergeTreeStatus.Conflicts, merge.Status);
        return new ConflictContext
        {
            RunId = "run-1",
            Task = Plan["x"],
            Branch = "agent/x",
            RepositoryPath = repo.Root,
            MainBranch = "main",
            OursCommit = ours,
            TheirsCommit = theirs,
            BaseCommit = repository.ObjectDatabase.FindMergeBase(oursCommit, theirsCommit)?.Sha,
            Conflicts = [.. merge.Conflicts.Select(c => MergeConflictReader.Read(repository, c, "other"))],
            Plan = Plan,
        };
    }

    private static MergeRequest Request(IReadOnlyList<IConflictResolver> resolvers) => new()
    {
        RunId = "run-1",
        Task = Plan["x"],
        Branch = "agent/x",
        Resolvers = resolvers,
        Plan = Plan,
    };
}
