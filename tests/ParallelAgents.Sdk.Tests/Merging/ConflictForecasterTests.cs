using LibGit2Sharp;
using Microsoft.Extensions.Time.Testing;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Merging;

public sealed class ConflictForecasterTests : IDisposable
{
    private readonly TestRepository _repo = TestRepository.Create(new Dictionary<string, string?>
    {
        ["app.txt"] = TestRepository.TenLines,
        ["notes.txt"] = TestRepository.TenLines,
    });

    private readonly InMemorySharedMemory _memory = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task OnCommitAsync_TwoLiveBranchesEditTheSameLines_OnePredictionWithBothTasksAndTheFile()
    {
        string a = Branch("a", ("app.txt", TestRepository.TenLinesWith((3, "a's line 3"))));
        Branch("b", ("app.txt", TestRepository.TenLinesWith((3, "b's line 3"), (4, "b's line 4"))));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        using var forecaster = new ConflictForecaster(_repo.Path, "main", _memory, time);
        forecaster.TrackBranch("a", "agent/a");
        forecaster.TrackBranch("b", "agent/b");
        var raised = new List<ConflictForecast>();
        forecaster.ConflictPredicted += (_, f) => raised.Add(f);

        IReadOnlyList<ConflictForecast> forecasts = await forecaster.OnCommitAsync("a", a, TestContext.Current.CancellationToken);

        ConflictForecast forecast = Assert.Single(forecasts);
        Assert.Equal("a", forecast.TaskId);
        Assert.Equal("b", forecast.OtherTaskId);
        Assert.Equal("agent/b", forecast.OtherBranch);
        Assert.Equal(a, forecast.Commit);
        Assert.Equal(_repo.Tip("agent/b"), forecast.OtherCommit);
        Assert.Equal(time.GetUtcNow(), forecast.PredictedAt);
        Assert.Equal("conflicts/predicted/a/b", forecast.MemoryKey);
        MergeConflict conflict = Assert.Single(forecast.Conflicts);
        Assert.Equal("app.txt", conflict.Path);
        Assert.Equal("content", conflict.Kind);
        // As in git's conflict markers, a's side of the region b changed includes a's untouched line 4.
        Assert.Equal([new LineRange(3, 4)], conflict.OursLines);
        Assert.Equal([new LineRange(3, 4)], conflict.TheirsLines);
        Assert.Same(forecast, Assert.Single(raised));

        MemoryEntry entry = Assert.Single(await _memory.ListConflictsAsync(TestContext.Current.CancellationToken));
        Assert.Equal("conflicts/predicted/a/b", entry.Key);
        Assert.Equal(ConflictForecaster.Author, entry.Author);
        ConflictReport report = entry.GetValue<ConflictReport>()!;
        Assert.True(report.Predicted);
        Assert.Equal(["a", "b"], report.Tasks);
        Assert.Equal(["app.txt"], report.Files);
        Assert.Contains("app.txt (content: a lines 3-4, b lines 3-4)", report.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnCommitAsync_BranchEditsWhatMainChanged_PredictionAgainstMain()
    {
        string a = Branch("a", ("app.txt", TestRepository.TenLinesWith((5, "a's line 5"))));
        _repo.Commit("main", new Dictionary<string, string?> { ["app.txt"] = TestRepository.TenLinesWith((5, "main's line 5")) }, "main moves");
        using var forecaster = new ConflictForecaster(_repo.Path, "main", _memory);
        forecaster.TrackBranch("a", "agent/a");

        ConflictForecast forecast = Assert.Single(await forecaster.OnCommitAsync("a", a, TestContext.Current.CancellationToken));

        Assert.True(forecast.IsWithMain);
        Assert.Null(forecast.OtherTaskId);
        Assert.Equal("main", forecast.OtherBranch);
        Assert.Equal(_repo.Tip("main"), forecast.OtherCommit);
        Assert.Equal("conflicts/predicted/a/@main", forecast.MemoryKey);
        Assert.Equal([new LineRange(5, 5)], Assert.Single(forecast.Conflicts).OursLines);
        ConflictReport report = (await _memory.GetValueAsync<ConflictReport>("conflicts/predicted/a/@main", TestContext.Current.CancellationToken))!;
        Assert.Equal(["a"], report.Tasks);
        Assert.Contains("the main branch 'main'", report.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnCommitAsync_DisjointEdits_NoPrediction()
    {
        string a = Branch("a", ("app.txt", TestRepository.TenLinesWith((2, "a's line 2"))));
        Branch("b", ("app.txt", TestRepository.TenLinesWith((9, "b's line 9"))), ("notes.txt", "b's notes\n"));
        using var forecaster = new ConflictForecaster(_repo.Path, "main", _memory);
        forecaster.TrackBranch("a", "agent/a");
        forecaster.TrackBranch("b", "agent/b");
        int raised = 0;
        forecaster.ConflictPredicted += (_, _) => raised++;

        Assert.Empty(await forecaster.OnCommitAsync("a", a, TestContext.Current.CancellationToken));

        Assert.Equal(0, raised);
        Assert.Empty(forecaster.Current);
        Assert.Empty(await _memory.ListConflictsAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task OnCommitAsync_LaterCommitRemovesTheOverlap_PredictionCleared()
    {
        string a1 = Branch("a", ("app.txt", TestRepository.TenLinesWith((3, "a's line 3"))));
        Branch("b", ("app.txt", TestRepository.TenLinesWith((3, "b's line 3"))));
        using var forecaster = new ConflictForecaster(_repo.Path, "main", _memory);
        forecaster.TrackBranch("a", "agent/a");
        forecaster.TrackBranch("b", "agent/b");
        var cleared = new List<ConflictForecast>();
        forecaster.ConflictCleared += (_, f) => cleared.Add(f);
        Assert.Single(await forecaster.OnCommitAsync("a", a1, TestContext.Current.CancellationToken));

        // a gives line 3 back and edits line 8 instead.
        string a2 = _repo.Commit("agent/a", new Dictionary<string, string?> { ["app.txt"] = TestRepository.TenLinesWith((8, "a's line 8")) }, "a moves");
        Assert.Empty(await forecaster.OnCommitAsync("a", a2, TestContext.Current.CancellationToken));

        Assert.Equal("conflicts/predicted/a/b", Assert.Single(cleared).MemoryKey);
        Assert.Empty(forecaster.Current);
        Assert.Empty(await _memory.ListConflictsAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task OnCommitAsync_OtherTaskCommitsTheSameConflict_NotPublishedAgain()
    {
        string a = Branch("a", ("app.txt", TestRepository.TenLinesWith((3, "a's line 3"))));
        string b = Branch("b", ("app.txt", TestRepository.TenLinesWith((3, "b's line 3"))));
        using var forecaster = new ConflictForecaster(_repo.Path, "main", _memory);
        forecaster.TrackBranch("a", "agent/a");
        forecaster.TrackBranch("b", "agent/b");
        int raised = 0;
        forecaster.ConflictPredicted += (_, _) => raised++;
        await forecaster.OnCommitAsync("a", a, TestContext.Current.CancellationToken);
        long version = (await _memory.GetAsync("conflicts/predicted/a/b", TestContext.Current.CancellationToken))!.Version;

        ConflictForecast seenFromB = Assert.Single(await forecaster.OnCommitAsync("b", b, TestContext.Current.CancellationToken));

        Assert.Equal("b", seenFromB.TaskId);
        Assert.Equal("a", seenFromB.OtherTaskId);
        Assert.Equal(1, raised);
        Assert.Equal(version, (await _memory.GetAsync("conflicts/predicted/a/b", TestContext.Current.CancellationToken))!.Version);
    }

    [Fact]
    public async Task UntrackBranchAsync_TaskWithPrediction_PredictionCleared()
    {
        string a = Branch("a", ("app.txt", TestRepository.TenLinesWith((3, "a's line 3"))));
        Branch("b", ("app.txt", TestRepository.TenLinesWith((3, "b's line 3"))));
        using var forecaster = new ConflictForecaster(_repo.Path, "main", _memory);
        forecaster.TrackBranch("a", "agent/a");
        forecaster.TrackBranch("b", "agent/b");
        await forecaster.OnCommitAsync("a", a, TestContext.Current.CancellationToken);

        await forecaster.UntrackBranchAsync("b", TestContext.Current.CancellationToken);

        Assert.Empty(forecaster.Current);
        Assert.Empty(await _memory.ListConflictsAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await forecaster.OnCommitAsync("a", a, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task RefreshAsync_MainAdvancedOverALiveBranch_PredictionAgainstMain()
    {
        Branch("a", ("app.txt", TestRepository.TenLinesWith((6, "a's line 6"))));
        using var forecaster = new ConflictForecaster(_repo.Path, "main", _memory);
        forecaster.TrackBranch("a", "agent/a");
        _repo.Commit("main", new Dictionary<string, string?> { ["app.txt"] = TestRepository.TenLinesWith((6, "merged line 6")) }, "another task merged");

        ConflictForecast forecast = Assert.Single(await forecaster.RefreshAsync(TestContext.Current.CancellationToken));

        Assert.True(forecast.IsWithMain);
        Assert.Equal(_repo.Tip("agent/a"), forecast.Commit);
    }

    [Fact]
    public async Task OnCommitAsync_CleanAndConflictedMerges_NothingWrittenToTheRepository()
    {
        // notes.txt merges cleanly inside a conflicted merge (libgit2 writes the merged blob), and a and main merge
        // cleanly as a whole (libgit2 writes the merged trees).
        string a = Branch("a", ("app.txt", TestRepository.TenLinesWith((3, "a's line 3"))), ("notes.txt", TestRepository.TenLinesWith((1, "a's note"))));
        Branch("b", ("app.txt", TestRepository.TenLinesWith((3, "b's line 3"))), ("notes.txt", TestRepository.TenLinesWith((10, "b's note"))));
        _repo.Commit("main", new Dictionary<string, string?> { ["notes.txt"] = TestRepository.TenLinesWith((5, "main's note")) }, "main moves");
        string refs = _repo.Refs();
        int objects = _repo.ObjectCount();

        // The control: a plain in-memory merge does write objects, so the counts below can tell.
        using (var plain = new Repository(_repo.Path))
        {
            plain.ObjectDatabase.MergeCommits(plain.Lookup<Commit>(a), plain.Lookup<Commit>(_repo.Tip("agent/b")), new MergeTreeOptions());
        }

        Assert.True(_repo.ObjectCount() > objects);
        _repo.Git("prune", "--expire=now");
        Assert.Equal(objects, _repo.ObjectCount());

        using var forecaster = new ConflictForecaster(_repo.Path, "main", _memory);
        forecaster.TrackBranch("a", "agent/a");
        forecaster.TrackBranch("b", "agent/b");
        IReadOnlyList<ConflictForecast> forecasts = await forecaster.OnCommitAsync("a", a, TestContext.Current.CancellationToken);
        await forecaster.RefreshAsync(TestContext.Current.CancellationToken);

        Assert.Equal("b", Assert.Single(forecasts).OtherTaskId);
        Assert.Equal(objects, _repo.ObjectCount());
        Assert.Equal(refs, _repo.Refs());
        _repo.Fsck();
    }

    [Fact]
    public async Task OnCommitAsync_CrissCrossHistory_ConflictFoundAndVirtualBaseNotWritten()
    {
        string a1 = Branch("a", ("app.txt", TestRepository.TenLinesWith((1, "a's line 1"))));
        string b1 = Branch("b", ("app.txt", TestRepository.TenLinesWith((10, "b's line 10"))));
        _repo.Git("switch", "-q", "agent/a");
        _repo.Git("merge", "-q", "--no-edit", b1);
        _repo.Git("switch", "-q", "agent/b");
        _repo.Git("merge", "-q", "--no-edit", a1);
        string both = TestRepository.TenLinesWith((1, "a's line 1"), (10, "b's line 10"));
        string a3 = _repo.Commit("agent/a", new Dictionary<string, string?> { ["app.txt"] = both.Replace("line 5\n", "a's line 5\n", StringComparison.Ordinal) }, "a");
        _repo.Commit("agent/b", new Dictionary<string, string?> { ["app.txt"] = both.Replace("line 5\n", "b's line 5\n", StringComparison.Ordinal) }, "b");
        Assert.Equal(2, _repo.Git("merge-base", "--all", "agent/a", "agent/b").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        string refs = _repo.Refs();
        int objects = _repo.ObjectCount();
        using var forecaster = new ConflictForecaster(_repo.Path, "main", _memory);
        forecaster.TrackBranch("a", "agent/a");
        forecaster.TrackBranch("b", "agent/b");

        ConflictForecast forecast = Assert.Single(await forecaster.OnCommitAsync("a", a3, TestContext.Current.CancellationToken));

        MergeConflict conflict = Assert.Single(forecast.Conflicts);
        Assert.Equal([new LineRange(5, 5)], conflict.OursLines);
        Assert.Equal([new LineRange(5, 5)], conflict.TheirsLines);
        Assert.Equal(objects, _repo.ObjectCount());
        Assert.Equal(refs, _repo.Refs());
        _repo.Fsck();
    }

    [Fact]
    public async Task OnCommitAsync_FourTasksCommitAtOnce_EveryPairPredictedOnce()
    {
        string[] tasks = ["t1", "t2", "t3", "t4"];
        Dictionary<string, string> commits = tasks.ToDictionary(t => t, t => Branch(t, ("app.txt", TestRepository.TenLinesWith((7, $"{t}'s line 7")))));
        using var forecaster = new ConflictForecaster(_repo.Path, "main", _memory);
        foreach (string t in tasks)
        {
            forecaster.TrackBranch(t, "agent/" + t);
        }

        // One gate released once: the four checks then start together on pool threads, without blocking any thread.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<IReadOnlyList<ConflictForecast>[]> all = Task.WhenAll(tasks.Select(async t =>
        {
            await start.Task;
            return await forecaster.OnCommitAsync(t, commits[t], TestContext.Current.CancellationToken);
        }));
        start.SetResult();
        IReadOnlyList<ConflictForecast>[] results = await all;

        string[] expectedKeys = [.. from x in tasks from y in tasks where string.CompareOrdinal(x, y) < 0 select $"conflicts/predicted/{x}/{y}"];
        Assert.Equal(expectedKeys, forecaster.Current.Select(f => f.MemoryKey));
        Assert.Equal(expectedKeys, (await _memory.ListConflictsAsync(TestContext.Current.CancellationToken)).Select(e => e.Key));
        Assert.All(forecaster.Current, f => Assert.Equal([new LineRange(7, 7)], Assert.Single(f.Conflicts).OursLines));
        Assert.All(results, r => Assert.True(r.Count <= 3));
        _repo.Fsck();
    }

    [Fact]
    public void Constructor_NoSuchMainBranch_SaysSo()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new ConflictForecaster(_repo.Path, "trunk"));
        Assert.Contains("no branch 'trunk'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnCommitAsync_UnknownCommit_SaysWhichTaskAndCommit()
    {
        using var forecaster = new ConflictForecaster(_repo.Path, "main");
        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(
            async () => await forecaster.OnCommitAsync("a", new string('1', 40), TestContext.Current.CancellationToken));
        Assert.Contains("task 'a'", e.Message, StringComparison.Ordinal);
    }

    private string Branch(string task, params (string File, string Content)[] files)
    {
        _repo.CreateBranch("agent/" + task);
        return _repo.Commit("agent/" + task, files.ToDictionary(f => f.File, f => (string?)f.Content), task + "'s work");
    }
}
