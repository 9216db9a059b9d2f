using System.Diagnostics;
using System.Text.Json;
using ParallelAgents.Sdk.Cli.Tests.TestSupport;

namespace ParallelAgents.Sdk.Cli.Tests;

public sealed class RunCommandTests
{
    private const string TwoTasks =
        """
        tasks:
          - id: one
            instructions: echo hello > a.txt
            checks:
              - test -f a.txt
          - id: two
            dependencies: [one]
            instructions: cat a.txt > b.txt
        """;

    [Fact]
    public async Task Run_CommandAgent_MergesEveryTaskIntoMainAndExitsZero()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(TwoTasks);

        ToolResult result = await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello\n", repo.Git("show", "main:b.txt"));
        Assert.Contains("Merge branch 'agent/two' into main", repo.Git("log", "--format=%s", "main"));
        repo.Git("fsck", "--strict");
        Assert.Matches(@"one\s+Succeeded\s+1 attempt\(s\), [0-9.]+s, merge: merged", result.Output);
        Assert.Contains("2 succeeded, 0 failed", result.Output);
    }

    [Fact]
    public async Task Run_TaskFailsWithJson_ExitsOneAndReportsEveryTaskAsJson()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(
            """
            tasks:
              - id: good
                instructions: echo ok > good.txt
              - id: bad
                instructions: echo nope > bad.txt
                checks:
                  - test -f missing.txt
              - id: after-bad
                dependencies: [bad]
                instructions: echo never > after.txt
            """);

        ToolResult result = await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command", "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        using JsonDocument json = JsonDocument.Parse(result.Output);
        JsonElement root = json.RootElement;
        Assert.False(root.GetProperty("succeeded").GetBoolean());
        Dictionary<string, string> states = root.GetProperty("tasks").EnumerateArray()
            .ToDictionary(t => t.GetProperty("id").GetString()!, t => t.GetProperty("state").GetString()!);
        Assert.Equal(new Dictionary<string, string> { ["good"] = "succeeded", ["bad"] = "failed", ["after-bad"] = "skipped" }, states);
        Assert.Contains("test -f missing.txt", root.GetProperty("tasks")[1].GetProperty("error").GetString());
        Assert.Equal("good", Assert.Single(root.GetProperty("merges").EnumerateArray()).GetProperty("taskId").GetString());
        Assert.Equal("ok\n", repo.Git("show", "main:good.txt"));
        // The messages go to standard error, so standard output is JSON alone.
        Assert.Contains("Running 3 task(s)", result.Error);
    }

    [Fact]
    public async Task Run_LiveWithRedirectedOutput_WritesALinePerEventThenTheFinalTable()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(TwoTasks);

        ToolResult result = await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command", "--live");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("\u001b[", result.Output);
        Assert.Matches(@"s  one: started attempt 1\n", result.Output);
        Assert.Matches(@"s  one: merged into main \(Merged, 1 file\)\n", result.Output);
        Assert.Matches(@"s  two: succeeded\n", result.Output);
        Assert.Matches(@"│ two\s+│ Succeeded\s+│\s+1 │", result.Output);
        Assert.Contains("two (agent/two): Merged, 1 file(s)", result.Output);
    }

    [Fact]
    public async Task Run_NoModelConfigured_ExitsThreeAndSaysWhatToSet()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(TwoTasks);

        ToolResult result = await Tool.RunAsync(repo.Root, "run", tasks);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("set OPENAI_API_KEY", result.Error);
        Assert.Contains("--agent command", result.Error);
        Assert.Equal("", repo.Git("branch", "--list", "agent/*"));
    }

    [Fact]
    public async Task Run_NoModelWithJson_WritesTheErrorAsJson()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(TwoTasks);

        ToolResult result = await Tool.RunAsync(repo.Root, "run", tasks, "--json");

        Assert.True(result.ExitCode == 3, result.ToString());
        using JsonDocument json = JsonDocument.Parse(result.Output);
        Assert.Equal(3, json.RootElement.GetProperty("exitCode").GetInt32());
        Assert.Contains("OPENAI_API_KEY", json.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Run_ContainerIsolationAndNoDocker_ExitsThreeBeforeAnyAgentStarts()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(TwoTasks);
        string socket = Path.Combine(repo.Parent, "no-docker.sock");

        ToolResult result = await Tool.RunAsync(repo.Root, new Dictionary<string, string> { ["DOCKER_HOST"] = "unix://" + socket },
            "run", tasks, "--agent", "command", "--isolation", "container");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains(socket, result.Error);
        Assert.DoesNotContain("a.txt", repo.Git("ls-tree", "-r", "--name-only", "main"));
    }

    [Fact]
    public async Task Run_InvalidTaskFile_ExitsTwoWithEveryProblemsLocation()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(
            """
            tasks:
              - id: one
                instructions: x
                dependencies: [nowhere]
            """);

        ToolResult result = await Tool.RunAsync(repo.Root, "run", tasks, "--agent", "command");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Matches(@"config/tasks\.yaml:4:\d+: error: .*nowhere", result.Error);
    }

    [Fact]
    public async Task Run_Replay_PlaysEachTasksCassetteAndMergesWhatItWrote()
    {
        using var repo = new GitRepository();
        string tasks = repo.Tasks(
            """
            tasks:
              - id: greet
                instructions: Write hello.txt saying hello.
                checks:
                  - grep -q hello hello.txt
            """);
        string cassettes = Directory.CreateDirectory(Path.Combine(repo.Parent, "cassettes")).FullName;
        File.WriteAllText(Path.Combine(cassettes, "greet.json"), Cassettes.WriteThenFinish("hello.txt", "hello from the replay\n", "Wrote hello.txt."));

        ToolResult result = await Tool.RunAsync(repo.Root, "run", tasks, "--replay", cassettes, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello from the replay\n", repo.Git("show", "main:hello.txt"));
        using JsonDocument json = JsonDocument.Parse(result.Output);
        Assert.Equal("Wrote hello.txt.", json.RootElement.GetProperty("tasks")[0].GetProperty("summary").GetString());
        Assert.Contains("replaying the recorded conversations", result.Error);
    }

    [Fact]
    public async Task Run_Interrupted_StopsTheAgentsAndExits130()
    {
        // A process started in the background by a shell without job control ignores SIGINT, its children inherit
        // that, and .NET then leaves it ignored (as other programs do): the tool could not be interrupted at all.
        Assert.SkipWhen(IgnoresSigint(), "this test process ignores SIGINT (started in the background by a non-interactive shell?), and the tool would inherit that");
        using var repo = new GitRepository();
        string started = Path.Combine(repo.Parent, "started");
        string tasks = repo.Tasks(
            $"""
            tasks:
              - id: slow
                instructions: touch '{started}' && sleep 120
            """);
        using Process process = Process.Start(Tool.StartInfo(repo.Root, null, "run", tasks, "--agent", "command"))!;
        process.StandardInput.Close();
        Task<ToolResult> ended = Tool.CollectAsync(process);

        // Waits for the agent's command to have started (a condition, bounded by the test's timeout), then interrupts.
        while (!File.Exists(started) && !ended.IsCompleted)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        using (Process kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        ToolResult result = await ended;
        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Matches(@"slow\s+Cancelled", result.Output);
    }

    /// <summary>Whether SIGINT (2) is in this process's set of ignored signals (Linux's /proc/self/status).</summary>
    private static bool IgnoresSigint()
    {
        string? ignored = File.Exists("/proc/self/status")
            ? File.ReadLines("/proc/self/status").FirstOrDefault(line => line.StartsWith("SigIgn:", StringComparison.Ordinal))
            : null;
        return ignored is not null
            && (ulong.Parse(ignored["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) & (1UL << (2 - 1))) != 0;
    }
}
