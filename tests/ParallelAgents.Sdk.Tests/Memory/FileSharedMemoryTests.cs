using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Memory;

/// <summary>The contract, run against the file store, and what only the file store promises: its files survive
/// closing, crashes and damage, and tell what they lost.</summary>
public sealed class FileSharedMemoryTests : SharedMemoryContractTests, IDisposable
{
    private static readonly TimeSpan BoundedWait = TimeSpan.FromSeconds(20);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "pa-file-memory-tests", Guid.NewGuid().ToString("N"));
    private readonly ListLoggerFactory _logs = new();

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    protected override async ValueTask<ISharedMemory> CreateAsync(SharedMemoryOptions options) =>
        await FileSharedMemory.OpenAsync(
            new FileSharedMemoryOptions
            {
                Path = NewStorePath(),
                MaxKeyLength = options.MaxKeyLength,
                MaxValueBytes = options.MaxValueBytes,
                RetainedChanges = options.RetainedChanges,
                TimeProvider = options.TimeProvider,
                LoggerFactory = _logs,
            },
            Ct);

    // ---- closing and reopening ----

    [Fact]
    public async Task Open_AfterDispose_HasEveryEntryWithItsVersionAuthorAndTimestampAndTheSequenceGoesOn()
    {
        string path = NewStorePath();
        var clock = new ManualClock(new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.FromHours(1)));
        MemorySnapshot before;
        await using (FileSharedMemory memory = Open(path, o => o.TimeProvider = clock))
        {
            await memory.SetAsync("discoveries/schema", Json("""{"tables":["users","tasks"]}"""), "database", Ct);
            MemoryEntry status = await memory.SetAsync("status/backend", Json("\"started\""), "backend", Ct);
            clock.Now = clock.Now.AddMinutes(3);
            await memory.CompareAndSetAsync("status/backend", status.Version, Json("\"completed\""), "backend", Ct);
            await memory.SetAsync("conflicts/gone", Json("1"), "tests", Ct);
            await memory.DeleteAsync("conflicts/gone", "coordinator", Ct);
            before = await memory.SnapshotAsync(Ct);
        }

        await using FileSharedMemory reopened = Open(path, o => o.TimeProvider = clock);
        MemorySnapshot after = await reopened.SnapshotAsync(Ct);
        MemoryEntry next = await reopened.SetAsync("discoveries/api", Json("1"), "backend", Ct);

        Assert.Equal(5, after.Sequence);
        AssertSameEntries(before.Entries, after.Entries);
        Assert.Equal(clock.Now, after.Entries["status/backend"].Timestamp);
        Assert.Equal(TimeSpan.FromHours(1), after.Entries["status/backend"].Timestamp.Offset);
        Assert.Equal(6, next.Version);
        Assert.Empty(Warnings());
    }

    [Fact]
    public async Task Open_AfterDispose_WatchResumesFromChangesBeforeTheClose()
    {
        string path = NewStorePath();
        await using (FileSharedMemory memory = Open(path))
        {
            for (int i = 1; i <= 6; i++)
            {
                await memory.SetAsync($"k{i}", Number(i), "tests", Ct);
            }
        }

        await using FileSharedMemory reopened = Open(path);
        List<MemoryChange> changes = await TakeAsync(reopened.WatchAsync("", 3, Ct), 3);

        Assert.Equal([4L, 5, 6], changes.Select(c => c.Sequence));
        Assert.Equal([4L, 5, 6], changes.Select(c => c.Entry!.Value.GetInt64()));
    }

    [Fact]
    public async Task Open_AfterACrash_RecoversEveryAcknowledgedWriteFromTheJournal()
    {
        string path = NewStorePath();
        string image;
        await using (FileSharedMemory memory = Open(path, NoAutomaticSnapshots))
        {
            for (int i = 1; i <= 50; i++)
            {
                await memory.SetAsync($"k{i % 7}", Number(i), $"w{i % 3}", Ct);
            }

            await memory.DeleteAsync("k0", "tests", Ct);
            image = CrashImage(memory.Path);
        }

        await using FileSharedMemory recovered = Open(image);
        MemorySnapshot snapshot = await recovered.SnapshotAsync(Ct);

        Assert.Equal(51, snapshot.Sequence);
        Assert.Equal(["k1", "k2", "k3", "k4", "k5", "k6"], snapshot.Entries.Keys.Order());
        Assert.Equal(50, snapshot.Entries["k1"].Value.GetInt64());
        Assert.Equal(50, snapshot.Entries["k1"].Version);
        Assert.Empty(Warnings());
    }

    [Fact]
    public async Task Open_CopiedWhileWritersRun_RecoversAConsistentPrefix()
    {
        string path = NewStorePath();
        string image;
        await using (FileSharedMemory memory = Open(path, NoAutomaticSnapshots))
        {
            using var stop = new CancellationTokenSource();
            Task[] writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (long i = 1; !stop.IsCancellationRequested; i++)
                {
                    await memory.SetAsync($"writer/{w}", Number(i), $"w{w}", Ct);
                }
            }, Ct)).ToArray();
            await TakeAsync(memory.WatchAsync("", 0, Ct), 2_000);

            // A copy taken mid-append is what a crash leaves: possibly half a record at the journal's end. (Snapshots are
            // off: a copy of several files across a checkpoint would mix two moments, which no crash can do.)
            image = CrashImage(memory.Path);
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        await using FileSharedMemory recovered = Open(image);
        MemorySnapshot snapshot = await recovered.SnapshotAsync(Ct);
        List<MemoryChange> feedTail = snapshot.Sequence > 0 ? await TakeAsync(recovered.WatchAsync("", snapshot.Sequence - 1, Ct), 1) : [];

        Assert.True(snapshot.Sequence >= 2_000, $"recovered only {snapshot.Sequence} writes");
        Assert.All(snapshot.Entries.Values, e => Assert.True(e.Version <= snapshot.Sequence));
        Assert.Equal(snapshot.Sequence, Assert.Single(feedTail).Sequence);
        MemoryEntry next = await recovered.SetAsync("after", Json("1"), "tests", Ct);
        Assert.Equal(snapshot.Sequence + 1, next.Version);
    }

    // ---- damage ----

    [Fact]
    public async Task Open_JournalTruncatedMidRecord_RecoversTheLastWholeRecordMovesTheJournalAsideAndSaysWhatWasLost()
    {
        string image = await CrashImageWithJournalAsync(writes: 10);
        string journal = JournalOf(image);
        byte[] original = File.ReadAllBytes(journal);
        List<(long Sequence, int Offset, int Length)> records = Records(original);
        int cut = records[^1].Offset + 25;
        File.WriteAllBytes(journal, original[..cut]);

        await using (FileSharedMemory recovered = Open(image))
        {
            MemorySnapshot snapshot = await recovered.SnapshotAsync(Ct);
            MemoryEntry next = await recovered.SetAsync("after", Json("1"), "tests", Ct);

            Assert.Equal(9, snapshot.Sequence);
            Assert.Equal(9, snapshot.Entries["k9"].Value.GetInt64());
            Assert.False(snapshot.Entries.ContainsKey("k10"));
            Assert.Equal(10, next.Version);
        }

        string moved = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(image)!, "agent_memory.journal.corrupt-*"));
        Assert.Equal(original[..cut], File.ReadAllBytes(moved));
        string warning = string.Join("\n", Warnings());
        Assert.Contains("cut short", warning, StringComparison.Ordinal);
        Assert.Contains("after sequence 9", warning, StringComparison.Ordinal);
        Assert.Contains($"{cut - records[^1].Offset} bytes", warning, StringComparison.Ordinal);
        Assert.Contains(moved, warning, StringComparison.Ordinal);

        _logs.Entries.Clear();
        await using FileSharedMemory again = Open(image);
        Assert.Equal(10, (await again.SnapshotAsync(Ct)).Sequence);
        Assert.Empty(Warnings());
    }

    [Fact]
    public async Task Open_JournalWithAZeroFilledTail_TreatsTheZerosAsATornWrite()
    {
        string image = await CrashImageWithJournalAsync(writes: 4);
        string journal = JournalOf(image);
        File.AppendAllText(journal, new string('\0', 4096));

        await using FileSharedMemory recovered = Open(image);

        Assert.Equal(4, (await recovered.SnapshotAsync(Ct)).Sequence);
        Assert.Contains(Warnings(), w => w.Contains("4,096 bytes", StringComparison.Ordinal) && w.Contains("after sequence 4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Open_JournalRecordCorruptedInTheMiddle_RecoversUpToItAndReportsTheIntactRecordsAfter()
    {
        string image = await CrashImageWithJournalAsync(writes: 10);
        string journal = JournalOf(image);
        byte[] bytes = File.ReadAllBytes(journal);
        (long sequence, int offset, int length) = Records(bytes)[4];
        bytes[offset + 20 + (length / 2)] ^= 0x20;
        File.WriteAllBytes(journal, bytes);

        await using FileSharedMemory recovered = Open(image);
        MemorySnapshot snapshot = await recovered.SnapshotAsync(Ct);

        Assert.Equal(5, sequence);
        Assert.Equal(4, snapshot.Sequence);
        Assert.Equal(["k1", "k2", "k3", "k4"], snapshot.Entries.Keys.Order());
        string warning = string.Join("\n", Warnings());
        Assert.Contains("is corrupted after sequence 4", warning, StringComparison.Ordinal);
        Assert.Contains("fails its checksum", warning, StringComparison.Ordinal);
        Assert.Contains("5 intact records follow the damage (sequences 6 to 10)", warning, StringComparison.Ordinal);
        Assert.Contains("Writes 5 to 10", warning, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(image)!, "agent_memory.journal.corrupt-*"));
    }

    [Fact]
    public async Task Open_SnapshotWithAFlippedByte_RecoversEverythingFromThePreviousSnapshotAndTheJournals()
    {
        string path = NewStorePath();
        MemorySnapshot before;
        await using (FileSharedMemory memory = Open(path, NoAutomaticSnapshots))
        {
            await WriteAsync(memory, 1, 5);
            await memory.CheckpointAsync(Ct);
            await WriteAsync(memory, 6, 10);
            await memory.CheckpointAsync(Ct);
            await WriteAsync(memory, 11, 12);
            before = await memory.SnapshotAsync(Ct);
        }

        byte[] bytes = File.ReadAllBytes(path);
        int at = Encoding.UTF8.GetString(bytes).IndexOf("\"k3\"", StringComparison.Ordinal) + 2;
        bytes[at] = (byte)'8';
        File.WriteAllBytes(path, bytes);

        await using (FileSharedMemory recovered = Open(path))
        {
            MemorySnapshot after = await recovered.SnapshotAsync(Ct);

            Assert.Equal(before.Sequence, after.Sequence);
            AssertSameEntries(before.Entries, after.Entries);
        }

        string moved = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!, "agent_memory.json.corrupt-*"));
        Assert.Equal(bytes, File.ReadAllBytes(moved));
        string warning = string.Join("\n", Warnings());
        Assert.Contains("snapshot", warning, StringComparison.Ordinal);
        Assert.Contains("checksum does not match", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("lost", warning, StringComparison.Ordinal);
        Assert.Contains(moved, warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_SnapshotThatIsNotJson_IsMovedAsideAndTheJournalsRebuildTheState()
    {
        string path = NewStorePath();
        await using (FileSharedMemory memory = Open(path, NoAutomaticSnapshots))
        {
            await WriteAsync(memory, 1, 3);
        }

        File.WriteAllText(path, "{\"format\": \"parallel-agents-shared-me");

        await using FileSharedMemory recovered = Open(path);

        Assert.Equal(3, (await recovered.SnapshotAsync(Ct)).Sequence);
        Assert.Contains(Warnings(), w => w.Contains("not valid JSON", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Open_BothSnapshotsDamaged_RecoversWhatTheFilesProveAndSaysWhatWasLost()
    {
        string path = NewStorePath();
        await using (FileSharedMemory memory = Open(path, NoAutomaticSnapshots))
        {
            await WriteAsync(memory, 1, 3);
            await memory.CheckpointAsync(Ct);
            await WriteAsync(memory, 4, 6);
            await memory.CheckpointAsync(Ct);
            await WriteAsync(memory, 7, 8);
            await memory.CheckpointAsync(Ct);
            await WriteAsync(memory, 9, 9);
        }

        string previous = Path.Combine(Path.GetDirectoryName(path)!, "agent_memory.previous.json");
        foreach (string file in new[] { path, previous })
        {
            byte[] bytes = File.ReadAllBytes(file);
            bytes[^4] ^= 0x01;
            File.WriteAllBytes(file, bytes);
        }

        await using FileSharedMemory recovered = Open(path);
        MemorySnapshot snapshot = await recovered.SnapshotAsync(Ct);

        Assert.Equal(0, snapshot.Sequence);
        string warning = string.Join("\n", Warnings());
        Assert.Contains("Writes 1 to 9 (9 known) were lost", warning, StringComparison.Ordinal);
        Assert.Equal(2, Directory.GetFiles(Path.GetDirectoryName(path)!, "agent_memory*.json.corrupt-*").Length);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!, "agent_memory.previous.journal.corrupt-*"));
    }

    [Fact]
    public async Task Open_CrashBetweenSnapshotRenameAndJournalRotation_ReplaysNothingTwice()
    {
        string path = NewStorePath();
        string image;
        await using (FileSharedMemory memory = Open(path, NoAutomaticSnapshots))
        {
            await WriteAsync(memory, 1, 8);
            await memory.DeleteAsync("k2", "tests", Ct);
            image = CrashImage(memory.Path);
            await memory.CheckpointAsync(Ct);

            // The image keeps its journal of writes 1 to 9 but gets the snapshot at 9: the rename happened, the
            // journal's rotation did not.
            File.Copy(memory.Path, image, overwrite: true);
        }

        await using FileSharedMemory recovered = Open(image);
        MemorySnapshot snapshot = await recovered.SnapshotAsync(Ct);
        MemoryEntry next = await recovered.SetAsync("k2", Number(99), "tests", Ct);

        Assert.Equal(9, snapshot.Sequence);
        Assert.Equal(["k1", "k3", "k4", "k5", "k6", "k7", "k8"], snapshot.Entries.Keys.Order());
        Assert.Equal(10, next.Version);
        Assert.Empty(Warnings());
    }

    [Fact]
    public async Task Open_CrashBetweenTheTwoSnapshotRenames_RebuildsFromTheFinishedTemporarySnapshot()
    {
        string path = NewStorePath();
        await using (FileSharedMemory memory = Open(path, NoAutomaticSnapshots))
        {
            await WriteAsync(memory, 1, 4);
            await memory.CheckpointAsync(Ct);
            await WriteAsync(memory, 5, 7);
        }

        // The last checkpoint (on dispose) had moved the snapshot to previous and not yet renamed the new one in.
        File.Move(path, path + ".tmp");

        await using FileSharedMemory recovered = Open(path);

        Assert.Equal(7, (await recovered.SnapshotAsync(Ct)).Sequence);
        Assert.Empty(Warnings());
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("interrupted", StringComparison.Ordinal));
        Assert.True(File.Exists(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public async Task Open_TornTemporarySnapshot_IsDeletedWithoutAWarning()
    {
        string path = NewStorePath();
        await using (FileSharedMemory memory = Open(path))
        {
            await WriteAsync(memory, 1, 2);
        }

        File.WriteAllText(path + ".tmp", "{\"format\": \"parallel-ag");

        await using FileSharedMemory reopened = Open(path);

        Assert.Equal(2, (await reopened.SnapshotAsync(Ct)).Sequence);
        Assert.False(File.Exists(path + ".tmp"));
        Assert.Empty(Warnings());
    }

    [Fact]
    public async Task Open_PathHoldsTheOriginalDemosJson_KeepsItAsideAndStartsEmptySayingSo()
    {
        string path = NewStorePath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, """{"discoveries": {"api": ["/tasks"]}, "conflicts": {}}""");

        await using FileSharedMemory memory = Open(path);

        Assert.Equal(0, (await memory.SnapshotAsync(Ct)).Sequence);
        Assert.Contains(Warnings(), w => w.Contains("not a ParallelAgents.Sdk snapshot", StringComparison.Ordinal));
        string kept = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!, "agent_memory.json.corrupt-*"));
        Assert.Contains("/tasks", File.ReadAllText(kept), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_AfterACrash_WatchResumesFromTheRecoveredJournal()
    {
        string image = await CrashImageWithJournalAsync(writes: 6);

        await using FileSharedMemory recovered = Open(image);
        await using IAsyncEnumerator<MemoryChange> feed = recovered.WatchAsync("", 4, Ct).GetAsyncEnumerator(Ct);
        List<MemoryChange> retained = await TakeAsync(feed, 2);
        await recovered.SetAsync("k7", Number(7), "tests", Ct);
        List<MemoryChange> next = await TakeAsync(feed, 1);

        Assert.Equal([5L, 6], retained.Select(c => c.Sequence));
        Assert.Equal("k5", retained[0].Key);
        Assert.Equal(7, Assert.Single(next).Sequence);
    }

    [Fact]
    public async Task CheckpointAsync_AfterReopeningAJournalOfAlreadySnapshottedWrites_RotatesItAway()
    {
        string path = NewStorePath();
        string image;
        await using (FileSharedMemory memory = Open(path, NoAutomaticSnapshots))
        {
            await WriteAsync(memory, 1, 5);
            image = CrashImage(memory.Path);
            await memory.CheckpointAsync(Ct);
            File.Copy(memory.Path, image, overwrite: true);
        }

        await using FileSharedMemory reopened = Open(image, NoAutomaticSnapshots);
        long before = new FileInfo(JournalOf(image)).Length;
        await reopened.CheckpointAsync(Ct);

        Assert.True(before > 0);
        Assert.Equal(0, new FileInfo(JournalOf(image)).Length);
        Assert.Equal(5, SnapshotSequence(image));
    }

    // ---- one store per path ----

    [Fact]
    public async Task Open_PathAlreadyOpen_ThrowsSharedMemoryLockedExceptionNamingThePath()
    {
        string path = NewStorePath();
        await using FileSharedMemory first = Open(path);
        await first.SetAsync("k", Json("1"), "tests", Ct);

        var error = Assert.Throws<SharedMemoryLockedException>(() => FileSharedMemory.Open(path));

        Assert.Equal(Path.GetFullPath(path), error.Path);
        Assert.Contains(Path.GetFullPath(path), error.Message, StringComparison.Ordinal);
        Assert.Contains("another process", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("agent_memory.lock", error.LockPath, StringComparison.Ordinal);
        Assert.Equal(1, (await first.GetAsync("k", Ct))?.Value.GetInt32());
    }

    [Fact]
    public async Task Open_LockHeldByAnotherProcess_FailsUntilThatProcessLetsGoAndOthersSeeOurLock()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows() || !File.Exists("/usr/bin/flock"), "needs util-linux flock(1), which takes the same flock(2) lock as .NET");
        string path = NewStorePath();
        string lockPath = Path.Combine(Path.GetDirectoryName(path)!, "agent_memory.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        // Another process holds the lock until its standard input closes.
        using (Process holder = Process.Start(new ProcessStartInfo("flock", ["-x", lockPath, "-c", "echo locked; exec cat"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        })!)
        {
            Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync(Ct));
            Assert.Throws<SharedMemoryLockedException>(() => FileSharedMemory.Open(path));
            holder.StandardInput.Close();
            await holder.WaitForExitAsync(Ct);
        }

        await using FileSharedMemory memory = Open(path);
        using Process other = Process.Start(new ProcessStartInfo("flock", ["-x", "-n", lockPath, "-c", "true"]))!;
        await other.WaitForExitAsync(Ct);

        Assert.Equal(1, other.ExitCode); // flock -n: "could not take the lock"
    }

    [Fact]
    public async Task OpenAsync_PathAlreadyOpen_ThrowsSharedMemoryLockedException()
    {
        string path = NewStorePath();
        await using FileSharedMemory first = Open(path);

        await Assert.ThrowsAsync<SharedMemoryLockedException>(async () => await FileSharedMemory.OpenAsync(new FileSharedMemoryOptions { Path = path }, Ct));
    }

    [Fact]
    public async Task Open_AfterTheHolderIsDisposed_Succeeds()
    {
        string path = NewStorePath();
        FileSharedMemory first = Open(path);
        await first.SetAsync("k", Json("1"), "tests", Ct);
        await first.DisposeAsync();

        await using FileSharedMemory second = Open(path);

        Assert.Equal(1, (await second.GetAsync("k", Ct))?.Value.GetInt32());
    }

    // ---- flush policies ----

    [Fact]
    public async Task SetAsync_FlushPolicyAlways_IsOnDiskWhenAcknowledged()
    {
        await using FileSharedMemory memory = Open(NewStorePath(), o => o.FlushPolicy = FlushPolicy.Always);

        MemoryEntry entry = await memory.SetAsync("k", Json("1"), "tests", Ct);

        Assert.Equal(entry.Version, memory.DurableSequence);
    }

    [Fact]
    public async Task SetAsync_FlushPolicyBatched_IsOnDiskOneIntervalLater()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using FileSharedMemory memory = Open(NewStorePath(), o =>
        {
            o.FlushPolicy = FlushPolicy.Batched;
            o.BatchInterval = TimeSpan.FromMilliseconds(100);
            o.TimeProvider = clock;
        });

        MemoryEntry entry = await memory.SetAsync("k", Json("1"), "tests", Ct);
        long before = memory.DurableSequence;
        clock.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal(0, before);
        Assert.True(await EventuallyAsync(() => memory.DurableSequence == entry.Version), "the journal was not flushed one interval after the write");
    }

    [Fact]
    public async Task FlushAsync_FlushPolicyBatched_PutsEveryAcknowledgedWriteOnDisk()
    {
        await using FileSharedMemory memory = Open(NewStorePath(), o =>
        {
            o.BatchInterval = TimeSpan.FromSeconds(10);
            o.TimeProvider = new FakeTimeProvider();
        });
        MemoryEntry entry = await memory.SetAsync("k", Json("1"), "tests", Ct);

        await memory.FlushAsync(Ct);

        Assert.Equal(entry.Version, memory.DurableSequence);
    }

    [Theory]
    [InlineData(FlushPolicy.Always)]
    [InlineData(FlushPolicy.Batched)]
    public async Task Writes_EitherFlushPolicy_SurviveACrashRightAfterTheAcknowledgement(FlushPolicy policy)
    {
        string image;
        await using (FileSharedMemory memory = Open(NewStorePath(), o => o.FlushPolicy = policy))
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (int i = 1; i <= 50; i++)
                {
                    await memory.SetAsync($"writer/{w}", Number(i), $"w{w}", Ct);
                }
            }, Ct)));
            image = CrashImage(memory.Path);
        }

        await using FileSharedMemory recovered = Open(image);
        MemorySnapshot snapshot = await recovered.SnapshotAsync(Ct);

        Assert.Equal(400, snapshot.Sequence);
        Assert.All(snapshot.Entries.Values, e => Assert.Equal(50, e.Value.GetInt64()));
        Assert.Empty(Warnings());
    }

    // ---- the snapshot file ----

    [Fact]
    public async Task SnapshotFile_AfterDispose_IsIndentedJsonThatJqUsersCanRead()
    {
        string path = NewStorePath();
        await using (FileSharedMemory memory = Open(path))
        {
            await memory.ReportDiscoveryAsync("api-routes", new { Routes = new[] { "/tasks", "/users" } }, "backend", Ct);
            await memory.SetStatusAsync("frontend", new AgentStatusReport("started", "Ünïcødé \"quoted\" <b>"), Ct);
        }

        string text = File.ReadAllText(path);
        using JsonDocument document = JsonDocument.Parse(text);
        JsonElement root = document.RootElement;
        JsonElement routes = root.GetProperty("entries").GetProperty("discoveries/api-routes");

        Assert.Equal("parallel-agents-shared-memory/1", root.GetProperty("format").GetString());
        Assert.Equal(2, root.GetProperty("sequence").GetInt64());
        Assert.Matches("^crc32c:[0-9a-f]{8}$", root.GetProperty("checksum").GetString());
        Assert.Equal("/tasks", routes.GetProperty("value").GetProperty("routes")[0].GetString());
        Assert.Equal(1, routes.GetProperty("version").GetInt64());
        Assert.Equal("backend", routes.GetProperty("author").GetString());
        Assert.Equal(JsonValueKind.String, routes.GetProperty("timestamp").ValueKind);
        Assert.Contains("\n  \"entries\": {\n", text, StringComparison.Ordinal);
        Assert.Equal(
            "Ünïcødé \"quoted\" <b>",
            root.GetProperty("entries").GetProperty("status/frontend").GetProperty("value").GetProperty("detail").GetString());
    }

    [Fact]
    public async Task SnapshotFile_EmptyNewStore_ExistsAtOnce()
    {
        string path = NewStorePath();

        await using FileSharedMemory memory = Open(path);

        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        Assert.Equal(0, document.RootElement.GetProperty("sequence").GetInt64());
        Assert.Empty(document.RootElement.GetProperty("entries").EnumerateObject());
    }

    [Fact]
    public async Task SnapshotFile_AfterSnapshotEveryRecords_IsRewrittenAndTheJournalStartsAfresh()
    {
        string path = NewStorePath();
        await using FileSharedMemory memory = Open(path, SnapshotsEvery(10));

        await WriteAsync(memory, 1, 25);
        // The background writer takes the snapshot. FlushAsync returns at once when the writes are already on disk,
        // possibly while the snapshot's files are being renamed; a request through the writer queues behind it.
        await memory.WhenWriterCaughtUpAsync().WaitAsync(Ct);

        long snapshot = SnapshotSequence(path);
        Assert.InRange(snapshot, 20, 25);
        Assert.Equal(Enumerable.Range((int)snapshot + 1, 25 - (int)snapshot).Select(i => (long)i), Records(File.ReadAllBytes(JournalOf(path))).Select(r => r.Sequence));
    }

    [Fact]
    public async Task SnapshotFile_WhileSnapshotsAreTaken_IsNeverMissingForAReader()
    {
        // A reader of the snapshot file (a person, a tool) must always find one: a snapshot replaces it in one step.
        string path = NewStorePath();
        await using FileSharedMemory memory = Open(path, SnapshotsEvery(2));
        using var writing = new CancellationTokenSource();
        int reads = 0;
        var missing = new List<string>();
        Task reader = Task.Run(() =>
        {
            while (!writing.IsCancellationRequested)
            {
                try
                {
                    using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
                    reads++;
                }
                catch (Exception e) when (e is IOException or JsonException)
                {
                    missing.Add(e.GetType().Name + ": " + e.Message);
                }
            }
        }, Ct);

        await WriteAsync(memory, 1, 400);
        await memory.WhenWriterCaughtUpAsync().WaitAsync(Ct);
        await writing.CancelAsync();
        await reader;

        Assert.True(SnapshotSequence(path) >= 398, $"the last snapshot is at {SnapshotSequence(path)}");
        Assert.True(missing.Count == 0, $"{missing.Count} of {reads + missing.Count} reads failed; the first: {missing.FirstOrDefault()}");
    }

    [Fact]
    public async Task SnapshotFile_UnsavedWritesAfterSnapshotInterval_IsRewritten()
    {
        string path = NewStorePath();
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using FileSharedMemory memory = Open(path, o =>
        {
            o.SnapshotInterval = TimeSpan.FromSeconds(5);
            o.TimeProvider = clock;
        });
        await WriteAsync(memory, 1, 3);

        long before = SnapshotSequence(path);

        // The maintenance loop runs on real threads and reads the fake clock when it wakes: advance until it acts.
        for (int i = 0; i < 60 && !await EventuallyAsync(() => SnapshotSequence(path) == 3, TimeSpan.FromMilliseconds(250)); i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(0, before);
        Assert.Equal(3, SnapshotSequence(path));
    }

    [Fact]
    public async Task SnapshotFile_EditedByHand_IsTreatedAsDamageAndTheStoreKeepsItsOwnState()
    {
        string path = NewStorePath();
        await using (FileSharedMemory memory = Open(path))
        {
            await memory.SetAsync("conflicts/x", Json("1"), "tests", Ct);
        }

        File.WriteAllText(path, File.ReadAllText(path).Replace("\"conflicts/x\"", "\"conflicts/y\"", StringComparison.Ordinal));

        await using FileSharedMemory reopened = Open(path);

        Assert.NotNull(await reopened.GetAsync("conflicts/x", Ct));
        Assert.Null(await reopened.GetAsync("conflicts/y", Ct));
        Assert.Contains(Warnings(), w => w.Contains("edited by hand", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Values_LargeAndUnicode_SurviveTheJournalAndTheSnapshot()
    {
        string path = NewStorePath();
        string large = string.Concat(Enumerable.Repeat("ß→🙂 \"x\"\\n", 20_000));
        await using (FileSharedMemory memory = Open(path, NoAutomaticSnapshots))
        {
            await memory.SetAsync("discoveries/ключ 🙂", JsonSerializer.SerializeToElement(large), "агент", Ct);
            await memory.SetAsync("numbers", Json("[1.50, 1e3, -0, 12345678901234567890]"), "tests", Ct);
            string image = CrashImage(memory.Path);
            await using FileSharedMemory fromJournal = Open(image);
            Assert.Equal(large, (await fromJournal.GetAsync("discoveries/ключ 🙂", Ct))?.Value.GetString());
            Assert.Equal("[1.50, 1e3, -0, 12345678901234567890]", (await fromJournal.GetAsync("numbers", Ct))?.Value.GetRawText());
        }

        await using FileSharedMemory fromSnapshot = Open(path);
        MemoryEntry? entry = await fromSnapshot.GetAsync("discoveries/ключ 🙂", Ct);
        Assert.Equal(large, entry?.Value.GetString());
        Assert.Equal("агент", entry?.Author);
        Assert.Equal("[1.50, 1e3, -0, 12345678901234567890]", (await fromSnapshot.GetAsync("numbers", Ct))?.Value.GetRawText());
        Assert.Contains("\"discoveries/ключ ", File.ReadAllText(path), StringComparison.Ordinal);
    }

    // ---- options and helpers ----

    [Fact]
    public void Open_InvalidOptions_ThrowsNamingTheOption()
    {
        Assert.Equal("BatchInterval", Assert.Throws<ArgumentOutOfRangeException>(() => FileSharedMemory.Open(new FileSharedMemoryOptions { Path = NewStorePath(), BatchInterval = TimeSpan.Zero })).ParamName);
        Assert.Equal("BatchInterval", Assert.Throws<ArgumentOutOfRangeException>(() => FileSharedMemory.Open(new FileSharedMemoryOptions { Path = NewStorePath(), BatchInterval = TimeSpan.FromMinutes(1) })).ParamName);
        Assert.Equal("SnapshotEvery", Assert.Throws<ArgumentOutOfRangeException>(() => FileSharedMemory.Open(new FileSharedMemoryOptions { Path = NewStorePath(), SnapshotEvery = 0 })).ParamName);
        Assert.Equal("SnapshotInterval", Assert.Throws<ArgumentOutOfRangeException>(() => FileSharedMemory.Open(new FileSharedMemoryOptions { Path = NewStorePath(), SnapshotInterval = TimeSpan.FromMilliseconds(1) })).ParamName);
        Assert.Equal("FlushPolicy", Assert.Throws<ArgumentOutOfRangeException>(() => FileSharedMemory.Open(new FileSharedMemoryOptions { Path = NewStorePath(), FlushPolicy = (FlushPolicy)7 })).ParamName);
        Assert.Equal("Path", Assert.Throws<ArgumentException>(() => FileSharedMemory.Open(new FileSharedMemoryOptions { Path = " " })).ParamName);
        Assert.Equal("Path", Assert.Throws<ArgumentException>(() => FileSharedMemory.Open(new FileSharedMemoryOptions { Path = _root + "/" })).ParamName);
        Assert.Equal("MaxValueBytes", Assert.Throws<ArgumentOutOfRangeException>(() => FileSharedMemory.Open(new FileSharedMemoryOptions { Path = NewStorePath(), MaxValueBytes = 0 })).ParamName);
    }

    [Fact]
    public async Task Open_PathArgument_OverridesTheOptionsAndLeavesThemUnchanged()
    {
        var options = new FileSharedMemoryOptions { Path = "elsewhere/agent_memory.json" };
        string path = NewStorePath();

        await using FileSharedMemory memory = FileSharedMemory.Open(path, options);

        Assert.Equal(Path.GetFullPath(path), memory.Path);
        Assert.Equal("elsewhere/agent_memory.json", options.Path);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Crc32C_StandardCheckValue_Matches() =>
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void SyncDirectory_OnUnix_FlushesTheDirectory()
    {
        Directory.CreateDirectory(_root);

        bool synced = DurableFile.SyncDirectory(_root);

        Assert.Equal(!OperatingSystem.IsWindows(), synced);
    }

    private static void NoAutomaticSnapshots(FileSharedMemoryOptions options) => SnapshotsEvery(100_000_000)(options);

    /// <summary>A snapshot every <paramref name="records"/> writes, and none on a timer.</summary>
    private static Action<FileSharedMemoryOptions> SnapshotsEvery(int records) => options =>
    {
        options.SnapshotEvery = records;
        options.SnapshotInterval = Timeout.InfiniteTimeSpan;
    };

    private string NewStorePath() => Path.Combine(_root, Guid.NewGuid().ToString("N")[..8], "agent_memory.json");

    private FileSharedMemory Open(string path, Action<FileSharedMemoryOptions>? configure = null)
    {
        var options = new FileSharedMemoryOptions { Path = path, LoggerFactory = _logs };
        configure?.Invoke(options);
        return FileSharedMemory.Open(options);
    }

    private List<string> Warnings() => _logs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message).ToList();

    private static async Task WriteAsync(FileSharedMemory memory, int from, int to)
    {
        for (int i = from; i <= to; i++)
        {
            await memory.SetAsync($"k{i}", Number(i), "tests", Ct);
        }
    }

    /// <summary>A store whose journal holds writes 1 to <paramref name="writes"/> (key k<i>i</i> = <i>i</i>) after an
    /// empty snapshot, as a crash would leave it.</summary>
    private async Task<string> CrashImageWithJournalAsync(int writes)
    {
        await using FileSharedMemory memory = Open(NewStorePath(), NoAutomaticSnapshots);
        await WriteAsync(memory, 1, writes);
        return CrashImage(memory.Path);
    }

    /// <summary>Copies a store's files, except its lock, to a new folder, as if the process had died at that moment.</summary>
    private string CrashImage(string snapshotPath)
    {
        string image = Path.GetDirectoryName(NewStorePath())!;
        Directory.CreateDirectory(image);
        foreach (string file in Directory.GetFiles(Path.GetDirectoryName(snapshotPath)!))
        {
            if (!file.EndsWith(".lock", StringComparison.Ordinal))
            {
                File.Copy(file, Path.Combine(image, Path.GetFileName(file)));
            }
        }

        return Path.Combine(image, Path.GetFileName(snapshotPath));
    }

    private static string JournalOf(string snapshotPath) => Path.Combine(Path.GetDirectoryName(snapshotPath)!, "agent_memory.journal");

    private static long SnapshotSequence(string path)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            return document.RootElement.GetProperty("sequence").GetInt64();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return -1;
        }
    }

    /// <summary>The journal's records, read by their headers: sequence, offset and payload length.</summary>
    private static List<(long Sequence, int Offset, int Length)> Records(byte[] journal)
    {
        var records = new List<(long, int, int)>();
        for (int offset = 0; offset + 20 <= journal.Length;)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(journal.AsSpan(offset + 4));
            records.Add((BinaryPrimitives.ReadInt64LittleEndian(journal.AsSpan(offset + 8)), offset, length));
            offset += 20 + length;
        }

        return records;
    }

    /// <summary>Waits, boundedly, for a condition that a real timer makes true.</summary>
    private static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        using var waited = new CancellationTokenSource(timeout ?? BoundedWait);
        while (!condition())
        {
            try
            {
                await Task.Delay(5, waited.Token);
            }
            catch (OperationCanceledException)
            {
                return condition();
            }
        }

        return true;
    }

    private static void AssertSameEntries(IReadOnlyDictionary<string, MemoryEntry> expected, IReadOnlyDictionary<string, MemoryEntry> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach ((string key, MemoryEntry e) in expected)
        {
            MemoryEntry a = actual[key];
            Assert.Equal((e.Version, e.Author, e.Timestamp, e.Value.GetRawText()), (a.Version, a.Author, a.Timestamp, a.Value.GetRawText()));
        }
    }
}
