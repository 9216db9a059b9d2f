using System.Text.Json;
using ParallelAgents.Sdk.Cli.Tests.TestSupport;

namespace ParallelAgents.Sdk.Cli.Tests;

public sealed class MemoryCommandTests
{
    private static async Task SeedAsync(GitRepository repo)
    {
        await using FileSharedMemory store = SharedMemory.File(repo.Path("shared-memory/agent_memory.json"));
        await store.SetAsync("discoveries/database-schema", JsonSerializer.SerializeToElement(new { tables = new[] { "User", "Task" } }), "database-schema", TestContext.Current.CancellationToken);
        await store.SetAsync("conflicts/api", JsonSerializer.SerializeToElement("both edit README.md"), "backend-api", TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task MemoryShow_Store_ListsEveryKeyWithAuthorAndValue()
    {
        using var repo = new GitRepository();
        await SeedAsync(repo);

        ToolResult result = await Tool.RunAsync(repo.Root, "memory", "show");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("2 key(s)", result.Output);
        Assert.Matches(@"discoveries/database-schema  \(v\d+, database-schema, ", result.Output);
        Assert.Contains("\"User\"", result.Output);
        Assert.True(result.Output.IndexOf("conflicts/api", StringComparison.Ordinal) < result.Output.IndexOf("discoveries/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MemoryShow_JsonWithPrefix_OnlyThoseKeysWithTheirValues()
    {
        using var repo = new GitRepository();
        await SeedAsync(repo);

        ToolResult result = await Tool.RunAsync(repo.Root, "memory", "show", "--prefix", "discoveries/", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument json = JsonDocument.Parse(result.Output);
        JsonElement entry = Assert.Single(json.RootElement.GetProperty("entries").EnumerateArray());
        Assert.Equal("discoveries/database-schema", entry.GetProperty("key").GetString());
        Assert.Equal("Task", entry.GetProperty("value").GetProperty("tables")[1].GetString());
        Assert.Equal("database-schema", entry.GetProperty("author").GetString());
    }

    [Fact]
    public async Task MemoryShow_NoStoreYet_SaysSoAndCreatesNothing()
    {
        using var repo = new GitRepository();

        ToolResult result = await Tool.RunAsync(repo.Root, "memory", "show");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("No shared memory at", result.Output);
        Assert.False(Directory.Exists(repo.Path("shared-memory")));
    }

    [Fact]
    public async Task MemoryReset_WithoutYes_ExitsTwoAndDeletesNothing()
    {
        using var repo = new GitRepository();
        await SeedAsync(repo);

        ToolResult result = await Tool.RunAsync(repo.Root, "memory", "reset");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("would delete 2 key(s)", result.Error);
        await using FileSharedMemory store = SharedMemory.File(repo.Path("shared-memory/agent_memory.json"));
        Assert.Equal(2, (await store.SnapshotAsync(TestContext.Current.CancellationToken)).Entries.Count);
    }

    [Fact]
    public async Task MemoryReset_WithYes_DeletesEveryKeyAsRecordedDeletions()
    {
        using var repo = new GitRepository();
        await SeedAsync(repo);

        ToolResult result = await Tool.RunAsync(repo.Root, "memory", "reset", "--yes");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Deleted 2 key(s)", result.Output);
        await using FileSharedMemory store = SharedMemory.File(repo.Path("shared-memory/agent_memory.json"));
        MemorySnapshot snapshot = await store.SnapshotAsync(TestContext.Current.CancellationToken);
        Assert.Empty(snapshot.Entries);
        // Deletions, not a new file: the sequence goes on from the two writes.
        Assert.Equal(4, snapshot.Sequence);
    }

    [Fact]
    public async Task MemoryShow_StoreHeldByAnotherProcess_ExitsThree()
    {
        using var repo = new GitRepository();
        await SeedAsync(repo);
        await using FileSharedMemory held = SharedMemory.File(repo.Path("shared-memory/agent_memory.json"));

        ToolResult result = await Tool.RunAsync(repo.Root, "memory", "show");

        Assert.True(result.ExitCode == 3, result.ToString());
    }
}
