using System.Runtime.Versioning;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Agents;

/// <summary>The command agent against a small shell script standing in for a coding-agent CLI: it records its
/// arguments, edits the workspace, prints and exits as the test tells it.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class CommandAgentTests : IDisposable
{
    private const string Script = """
        #!/bin/sh
        # Stands in for a coding-agent CLI.
        i=0
        for a in "$@"; do
          i=$((i+1))
          printf '%s' "$a" > "$FAKE_OUT/arg.$i"
        done
        printf '%s' "$#" > "$FAKE_OUT/count"
        printf '%s' "$PARALLELAGENTS_PROMPT_FILE" > "$FAKE_OUT/prompt-path"
        cat "$PARALLELAGENTS_PROMPT_FILE" > "$FAKE_OUT/prompt"
        printf '%s|%s|%s' "$PARALLELAGENTS_TASK_ID" "${FAKE_SECRET_API_KEY:-unset}" "${OTHER_SECRET_TOKEN:-unset}" > "$FAKE_OUT/env"
        if [ -n "$FAKE_SECRET_API_KEY" ]; then echo "using key $FAKE_SECRET_API_KEY"; fi
        case "$FAKE_MODE" in
          success)
            echo "hello from the agent" > feature.txt
            echo "reading the task"
            echo "Done: wrote feature.txt"
            ;;
          fail)
            echo "half" > partial.txt
            echo "thinking"
            echo "error: the model refused" >&2
            exit 3
            ;;
          hang)
            echo "starting"
            sleep 600
            ;;
        esac
        """;

    private readonly GitRepository _repo = new(("README.md", "# demo\n"));
    private readonly TempFolder _folder = new();
    private readonly string _script;
    private readonly string _out;

    public CommandAgentTests()
    {
        _script = _folder.Combine("fake-agent.sh");
        File.WriteAllText(_script, Script.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(_script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _out = _folder.Combine("out");
        Directory.CreateDirectory(_out);
    }

    public void Dispose()
    {
        _repo.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task RunAsync_CommandSucceeds_ChangesFilesAndSummaryIsTheOutputTail()
    {
        CommandAgent agent = Agent("success");
        await using WorktreeIsolationProvider provider = Provider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("feature"), TestContext.Current.CancellationToken);

        AgentOutcome outcome = await agent.RunAsync(Context(workspace, "feature", "Write feature.txt"), TestContext.Current.CancellationToken);

        Assert.True(outcome.Succeeded, outcome.ToString());
        Assert.Equal("reading the task\nDone: wrote feature.txt", outcome.Summary);
        Assert.Equal("hello from the agent\n", await workspace.Files.ReadAllTextAsync("feature.txt", TestContext.Current.CancellationToken));
        Assert.Equal("Write feature.txt", File.ReadAllText(Path.Combine(_out, "arg.1")));
        Assert.Equal("1", File.ReadAllText(Path.Combine(_out, "count")));
    }

    [Fact]
    public async Task RunAsync_CommandAndChecks_AreReportedAsCommandRunsWithTheirOutcomeAndDuration()
    {
        CommandAgent agent = Agent("success", o => o.RunChecks = true);
        await using WorktreeIsolationProvider provider = Provider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("reported"), TestContext.Current.CancellationToken);
        var progress = new ProgressLog();
        AgentContext context = new()
        {
            RunId = "run-1",
            Task = new AgentTask { Id = "reported", Instructions = "x", Checks = ["test -f feature.txt", "test -f missing.txt"] },
            Workspace = workspace,
            Progress = progress,
        };

        AgentOutcome outcome = await agent.RunAsync(context, TestContext.Current.CancellationToken);

        Assert.False(outcome.Succeeded);
        AgentProgress[] runs = [.. progress.Reports];
        Assert.All(runs, r => Assert.Equal(AgentProgressKind.CommandRun, r.Kind));
        // The configured command line, not the rendered one that carries the whole prompt.
        Assert.Equal<(string?, bool)>([(CommandTemplate.Quote(_script) + " {instructions}", true), ("test -f feature.txt", true), ("test -f missing.txt", false)],
            runs.Select(r => (r.Name, r.Succeeded == true)));
        Assert.All(runs, r => Assert.True(r.Duration > TimeSpan.Zero, r.ToString()));
    }

    [Fact]
    public async Task RunAsync_CommandExitsNonZero_FailsWithTheOutputTailAndLeavesItsFiles()
    {
        CommandAgent agent = Agent("fail");
        await using WorktreeIsolationProvider provider = Provider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("broken"), TestContext.Current.CancellationToken);

        AgentOutcome outcome = await agent.RunAsync(Context(workspace, "broken", "x"), TestContext.Current.CancellationToken);

        Assert.False(outcome.Succeeded);
        Assert.False(outcome.IsTransient);
        Assert.StartsWith("The agent's command exited with 3. The end of its output:\n", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("thinking", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("error: the model refused", outcome.Error, StringComparison.Ordinal);
        Assert.True(workspace.Files.FileExists("partial.txt"));
    }

    [Fact]
    public async Task RunAsync_ExitCodeMarkedTransient_FailsAsTransient()
    {
        CommandAgent agent = Agent("fail", o => o.TransientExitCodes = [3, 75]);
        await using WorktreeIsolationProvider provider = Provider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("rate-limited"), TestContext.Current.CancellationToken);

        AgentOutcome outcome = await agent.RunAsync(Context(workspace, "rate-limited", "x"), TestContext.Current.CancellationToken);

        Assert.False(outcome.Succeeded);
        Assert.True(outcome.IsTransient);
        Assert.Contains("exited with 3 (marked transient)", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CommandRunsPastItsTimeout_IsKilledAndFails()
    {
        CommandAgent agent = Agent("hang", o => o.Timeout = TimeSpan.FromSeconds(1));
        await using WorktreeIsolationProvider provider = Provider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("slow"), TestContext.Current.CancellationToken);

        AgentOutcome outcome = await agent.RunAsync(Context(workspace, "slow", "x"), TestContext.Current.CancellationToken);

        Assert.False(outcome.Succeeded);
        Assert.False(outcome.IsTransient);
        Assert.StartsWith("The agent's command was killed after running past its timeout of 00:00:01.", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("starting", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_InstructionsWithShellSyntax_ArriveVerbatimAndNothingRuns()
    {
        string pwned1 = _folder.Combine("pwned-1"), pwned2 = _folder.Combine("pwned-2"), pwned3 = _folder.Combine("pwned-3");
        string instructions = $"Say \"hi\" and 'bye' (it's fine).\n$(touch {pwned1})\n`touch {pwned2}`\n; touch {pwned3} && rm -rf / ; $HOME ${{PATH}} {{task_id}} \\ \\n\ttab\n\n";
        CommandAgent agent = Agent("success", o => o.Command = CommandTemplate.Quote(_script) + " {instructions} {task_id} {criteria} {prompt}");
        await using WorktreeIsolationProvider provider = Provider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("quoting"), TestContext.Current.CancellationToken);
        AgentContext context = Context(workspace, "quoting", instructions, criteria: ["it's done", "no `rm`"]);

        AgentOutcome outcome = await agent.RunAsync(context, TestContext.Current.CancellationToken);

        Assert.True(outcome.Succeeded, outcome.ToString());
        Assert.Equal("4", File.ReadAllText(Path.Combine(_out, "count")));
        Assert.Equal(instructions, File.ReadAllText(Path.Combine(_out, "arg.1")));
        Assert.Equal("quoting", File.ReadAllText(Path.Combine(_out, "arg.2")));
        Assert.Equal("it's done\nno `rm`", File.ReadAllText(Path.Combine(_out, "arg.3")));
        Assert.Equal(CommandAgent.BuildPrompt(context), File.ReadAllText(Path.Combine(_out, "arg.4")));
        Assert.False(File.Exists(pwned1));
        Assert.False(File.Exists(pwned2));
        Assert.False(File.Exists(pwned3));
    }

    [Fact]
    public async Task RunAsync_PromptFile_HoldsTheFullPromptAndIsDeletedAfterwards()
    {
        CommandAgent agent = Agent("success", o => o.Command = CommandTemplate.Quote(_script) + " {prompt_file} {attempt}");
        await using WorktreeIsolationProvider provider = Provider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("prompted"), TestContext.Current.CancellationToken);
        var dependency = new TaskResult { TaskId = "schema", State = TaskState.Succeeded, Summary = "Made the users table." };
        AgentContext context = new()
        {
            RunId = "run-1",
            Task = new AgentTask { Id = "prompted", Instructions = "Add the API.", SuccessCriteria = ["JSON everywhere"], Checks = ["test -f feature.txt"] },
            Attempt = 2,
            PreviousError = "npm test failed",
            Dependencies = [dependency],
            Workspace = workspace,
        };

        AgentOutcome outcome = await agent.RunAsync(context, TestContext.Current.CancellationToken);

        Assert.True(outcome.Succeeded, outcome.ToString());
        string path = File.ReadAllText(Path.Combine(_out, "prompt-path"));
        Assert.Equal(path, File.ReadAllText(Path.Combine(_out, "arg.1")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(_out, "arg.2")));
        Assert.False(File.Exists(path));
        Assert.Equal(
            "Add the API.\n\nSuccess criteria:\n- JSON everywhere\n\nThese commands must pass in the workspace when you are done:\n- test -f feature.txt\n" +
            "\nTask 'schema', which this one builds on, reported:\nMade the users table.\n\nThe previous attempt (attempt 1) failed:\nnpm test failed\n",
            File.ReadAllText(Path.Combine(_out, "prompt")));
    }

    [Fact]
    public async Task RunAsync_SecretsInTheHostEnvironment_OnlyNamedOnesReachTheCommand()
    {
        using var passed = new EnvironmentVariable("FAKE_SECRET_API_KEY", "sk-passed-1234567");
        using var kept = new EnvironmentVariable("OTHER_SECRET_TOKEN", "tok-kept-7654321");
        CommandAgent agent = Agent("success", o => o.PassEnvironmentVariables = ["FAKE_SECRET_API_KEY"]);
        await using WorktreeIsolationProvider provider = Provider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("secrets"), TestContext.Current.CancellationToken);

        AgentOutcome outcome = await agent.RunAsync(Context(workspace, "secrets", "x"), TestContext.Current.CancellationToken);

        Assert.True(outcome.Succeeded, outcome.ToString());
        Assert.Equal("secrets|sk-passed-1234567|unset", File.ReadAllText(Path.Combine(_out, "env")));
        Assert.Equal("using key [REDACTED]\nreading the task\nDone: wrote feature.txt", outcome.Summary);
    }

    [Fact]
    public async Task RunAsync_CheckFailsAfterTheCommand_FailsWithTheCheckOutput()
    {
        CommandAgent agent = Agent("success");
        await using WorktreeIsolationProvider provider = Provider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("checked"), TestContext.Current.CancellationToken);
        AgentContext context = new()
        {
            RunId = "run-1",
            Task = new AgentTask { Id = "checked", Instructions = "x", Checks = ["test -f feature.txt", "echo 'missing docs' && exit 4"] },
            Workspace = workspace,
        };

        AgentOutcome outcome = await agent.RunAsync(context, TestContext.Current.CancellationToken);

        Assert.False(outcome.Succeeded);
        Assert.Equal("The agent's command succeeded, but the check 'echo 'missing docs' && exit 4' exited with 4. The end of its output:\nmissing docs", outcome.Error);
    }

    [Fact]
    public async Task RunAsync_InstructionsTooLongForOneArgument_FailsSayingToUseThePromptFile()
    {
        CommandAgent agent = Agent("success");
        await using WorktreeIsolationProvider provider = Provider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("huge"), TestContext.Current.CancellationToken);

        AgentOutcome outcome = await agent.RunAsync(Context(workspace, "huge", new string('x', 140_000)), TestContext.Current.CancellationToken);

        Assert.False(outcome.Succeeded);
        Assert.Contains("over the 131,072 one argument may have; pass the prompt with {prompt_file}", outcome.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_out, "count")));
        Assert.Empty(Directory.GetFiles(Path.Combine(Path.GetTempPath(), "parallelagents-prompts"), "huge-*"));
    }

    [Fact]
    public async Task RunAsync_NoWorkspace_FailsWithWhatToConfigure()
    {
        CommandAgent agent = Agent("success");

        AgentOutcome outcome = await agent.RunAsync(new AgentContext { RunId = "r", Task = new AgentTask { Id = "t", Instructions = "x" } }, TestContext.Current.CancellationToken);

        Assert.False(outcome.Succeeded);
        Assert.Contains("UseWorktreeIsolation", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InvalidOptions_ListsEveryProblem()
    {
        var options = new CommandAgentOptions
        {
            Command = "claude -p {instruction} --home ${HOME}",
            Timeout = TimeSpan.Zero,
            MaxOutputChars = 10,
            TransientExitCodes = [0],
            PassEnvironmentVariables = ["A=B"],
        };

        var error = Assert.Throws<ParallelAgentsConfigurationException>(() => new CommandAgent(options));

        Assert.Equal(6, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Contains("'{instruction}' at character 11, which is unknown", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("CommandAgentOptions.Timeout", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("CommandAgentOptions.MaxOutputChars", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("CommandAgentOptions.OutputTailChars", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("CommandAgentOptions.TransientExitCodes holds 0", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("CommandAgentOptions.PassEnvironmentVariables has 'A=B'", StringComparison.Ordinal));
        Assert.Throws<ParallelAgentsConfigurationException>(() => new CommandAgent(" "));
    }

    [Fact]
    public async Task RunAsync_InAnEngineOnARealRepository_TheScriptsChangesAreMergedIntoMain()
    {
        CommandAgent agent = Agent("success");
        TaskPlan plan = TaskPlan.Parse("""
            tasks:
              - id: feature
                instructions: Write feature.txt
                checks:
                  - test -f feature.txt
            """);
        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(_repo.Path)
            .UseWorktreeIsolation()
            .WithReportsDirectory(null)
            .UseAgent(agent)
            .Build();

        RunResult result = await engine.RunAsync(plan, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("reading the task\nDone: wrote feature.txt", result["feature"].Summary);
        MergeResult merge = Assert.Single(result.Merges);
        Assert.Equal(MergeStatus.Merged, merge.Status);
        Assert.Equal("hello from the agent\n", _repo.Git("show", "main:feature.txt"));
        Assert.Equal("feature: reading the task", _repo.Git("log", "-1", "--format=%s", "agent/feature").Trim());
        Assert.Equal("Write feature.txt", File.ReadAllText(Path.Combine(_out, "arg.1")));
        Assert.Single(_repo.Worktrees());
        _repo.AssertFsckClean();
    }

    private CommandAgent Agent(string mode, Action<CommandAgentOptions>? configure = null)
    {
        var options = new CommandAgentOptions
        {
            Command = CommandTemplate.Quote(_script) + " {instructions}",
            Environment = { ["FAKE_MODE"] = mode, ["FAKE_OUT"] = _out },
        };
        configure?.Invoke(options);
        return new CommandAgent(options);
    }

    private WorktreeIsolationProvider Provider() => new(new WorktreeIsolationOptions { RepositoryPath = _repo.Path });

    private static WorkspaceRequest Request(string taskId) =>
        new() { RunId = "20261130T090000Z-cmd001", Task = new AgentTask { Id = taskId, Instructions = "x" } };

    private static AgentContext Context(IAgentWorkspace workspace, string taskId, string instructions, IReadOnlyList<string>? criteria = null) => new()
    {
        RunId = "run-1",
        Task = new AgentTask { Id = taskId, Instructions = instructions, SuccessCriteria = criteria ?? [] },
        Workspace = workspace,
    };
}
