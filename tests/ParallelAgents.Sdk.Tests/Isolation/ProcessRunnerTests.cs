using System.Diagnostics;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Isolation;

public sealed class ProcessRunnerTests : IDisposable
{
    private readonly TempFolder _root = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _root.Dispose();

    private Task<CommandResult> Run(string command, CommandEnvironmentOptions? environment = null) =>
        ProcessRunner.RunAsync(new CommandRequest { Command = command }, _root.Path, environment ?? new(), Ct);

    private Task<CommandResult> RunUntil(string command, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync(new CommandRequest { Command = command }, _root.Path, new(), cancellationToken);

    private Task<CommandResult> Run(CommandRequest request, CommandEnvironmentOptions? environment = null) =>
        ProcessRunner.RunAsync(request, _root.Path, environment ?? new(), Ct);

    [Fact]
    public async Task RunAsync_Success_ReportsExitCodeZeroAndOutput()
    {
        CommandResult result = await Run("echo hello");

        Assert.True(result.Succeeded);
        Assert.Equal(0, result.ExitCode);
        Assert.False(result.TimedOut);
        Assert.Equal("hello\n", result.Output);
        Assert.Equal(0, result.OmittedChars);
        Assert.Equal("echo hello", result.Command);
    }

    [Fact]
    public async Task RunAsync_Failure_ReportsExitCode()
    {
        CommandResult result = await Run("echo broken >&2; exit 3");

        Assert.False(result.Succeeded);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("broken\n", result.Output);
    }

    [Fact]
    public async Task RunAsync_StdoutAndStderr_InterleavedInOrderWritten()
    {
        CommandResult result = await Run("echo one; echo two >&2; echo three; echo four >&2");

        Assert.Equal("one\ntwo\nthree\nfour\n", result.Output);
    }

    [Fact]
    public async Task RunAsync_CommandReadingStdin_GetsEndOfFileAndEnds()
    {
        CommandResult result = await Run(new CommandRequest { Command = "cat; read line || echo eof", Timeout = TimeSpan.FromMinutes(5) });

        Assert.False(result.TimedOut);
        Assert.Equal("eof\n", result.Output);
    }

    [Fact]
    public async Task RunAsync_OutputLongerThanCap_KeepsHeadAndTailAndCountsTheCut()
    {
        // 1,000 lines "line 0001" .. "line 1000", 10 characters each: 10,000 characters.
        CommandResult result = await Run(new CommandRequest
        {
            Command = "i=1; while [ $i -le 1000 ]; do printf 'line %04d\\n' $i; i=$((i+1)); done",
            MaxOutputChars = 1000,
        });

        Assert.Equal(9000, result.OmittedChars);
        Assert.StartsWith("line 0001\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("line 0050\n[... 9,000 characters cut ...]\nline 0951\n", result.Output, StringComparison.Ordinal);
        Assert.EndsWith("line 1000\n", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ZeroCap_KeepsOnlyTheNote()
    {
        CommandResult result = await Run(new CommandRequest { Command = "printf abc", MaxOutputChars = 0 });

        Assert.Equal(3, result.OmittedChars);
        Assert.Equal("[... 3 characters cut ...]\n", result.Output);
    }

    [Fact]
    public async Task RunAsync_KillsTreeOnTimeout_LeavingNoChild()
    {
        string pidFile = Path.Combine(_root.Path, "child.pid");
        CommandResult result = await Run(new CommandRequest
        {
            Command = "sleep 300 & echo $! > child.pid; echo started; wait",

            // Long enough for a loaded machine to start the child; "started" below proves it did.
            Timeout = TimeSpan.FromSeconds(5),
        });

        Assert.True(result.TimedOut);
        Assert.Equal(-1, result.ExitCode);
        Assert.False(result.Succeeded);
        Assert.StartsWith("started\n", result.Output, StringComparison.Ordinal);
        Assert.EndsWith("[timed out after 00:00:05; the command and every process it started were killed]\n", result.Output, StringComparison.Ordinal);
        Assert.Equal(0, result.OmittedChars);
        AssertGone(int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RunAsync_BackgroundChildOutlivingTheShell_IsKilledWhenTheCommandEnds()
    {
        // The child is re-parented when the shell exits, so only the straggler sweep can find it; it also holds the
        // output pipe, which would keep the result waiting.
        CommandResult result = await Run(new CommandRequest { Command = "(sleep 300 & echo $! > child.pid); echo done", Timeout = TimeSpan.FromMinutes(5) });

        Assert.True(result.Succeeded);
        Assert.Equal("done\n", result.Output);
        AssertGone(int.Parse(File.ReadAllText(Path.Combine(_root.Path, "child.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RunAsync_BackgroundChildClearingItsEnvironment_IsKilledWhenTheCommandEnds()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/setsid") || File.Exists("/bin/setsid"), "needs setsid to give the command a session");

        // env -i drops the marker variable; the session the command runs in still finds the child.
        CommandResult result = await Run(new CommandRequest { Command = "(env -i sleep 300 & echo $! > child.pid); echo done", Timeout = TimeSpan.FromMinutes(5) });

        Assert.True(result.Succeeded);
        Assert.Equal("done\n", result.Output);
        AssertGone(int.Parse(File.ReadAllText(Path.Combine(_root.Path, "child.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RunAsync_Command_RunsInASessionOfItsOwnWithoutTerminal()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/setsid") || File.Exists("/bin/setsid"), "needs setsid to give the command a session");

        // A new session has no controlling terminal: nothing the command runs can prompt the user on it.
        CommandResult result = await Run("read -r _ _ _ _ _ sid tty _ < /proc/$$/stat; echo \"$sid $tty\"; echo $$");

        string[] lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"{lines[1]} 0", lines[0]);
    }

    [Fact]
    public async Task RunAsync_Cancelled_KillsTreeAndThrows()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        string pidFile = Path.Combine(_root.Path, "child.pid");
        string readyFile = Path.Combine(_root.Path, "ready");
        Task<CommandResult> running = RunUntil("sleep 300 & echo $! > child.pid; touch ready; wait", cts.Token);

        // Wait for the command to say it has started its child (polling a file the command writes, not a fixed sleep).
        while (!File.Exists(readyFile) && !running.IsCompleted)
        {
            await Task.Delay(20, Ct);
        }

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        AssertGone(int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RunAsync_AlreadyCancelled_ThrowsWithoutRunning()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunUntil("touch ran", cts.Token));
        Assert.False(File.Exists(Path.Combine(_root.Path, "ran")));
    }

    [Fact]
    public async Task RunAsync_SecretVariables_AreRemovedAndOthersKept()
    {
        using var secret = new EnvironmentVariable("PA_TEST_API_KEY", "sk-test-secret-value");
        using var token = new EnvironmentVariable("PA_TEST_GITHUB_TOKEN", "ghp_test_token_value");
        using var plain = new EnvironmentVariable("PA_TEST_PLAIN", "visible");
        using var allowed = new EnvironmentVariable("PA_TEST_ALLOWED_TOKEN", "allowed-value");
        var options = new CommandEnvironmentOptions();
        options.AllowedVariables.Add("pa_test_allowed_token");

        CommandResult result = await Run("env", options);

        Assert.True(result.Succeeded);
        Assert.DoesNotContain("PA_TEST_API_KEY", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-test-secret-value", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_test_token_value", result.Output, StringComparison.Ordinal);
        Assert.Contains("PA_TEST_PLAIN=visible\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("PA_TEST_ALLOWED_TOKEN=allowed-value\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("PATH=", result.Output, StringComparison.Ordinal);
        Assert.Contains("GIT_TERMINAL_PROMPT=0\n", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_SecretNamedInRequest_IsPassedAndOverridesApply()
    {
        using var secret = new EnvironmentVariable("PA_TEST_API_KEY", "from-host");
        using var removed = new EnvironmentVariable("PA_TEST_REMOVED", "from-host");
        var options = new CommandEnvironmentOptions();
        options.Variables["npm_config_cache"] = "/shared/npm";
        options.Variables["PA_TEST_OVERRIDDEN"] = "from-options";

        CommandResult result = await Run(new CommandRequest
        {
            Command = "env",
            Environment = new Dictionary<string, string?>
            {
                ["PA_TEST_API_KEY"] = "given-explicitly",
                ["PA_TEST_OVERRIDDEN"] = "from-request",
                ["PA_TEST_REMOVED"] = null,
            },
        }, options);

        Assert.Contains("PA_TEST_API_KEY=given-explicitly\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("npm_config_cache=/shared/npm\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("PA_TEST_OVERRIDDEN=from-request\n", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PA_TEST_REMOVED", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WorkingDirectoryInside_RunsThere()
    {
        Directory.CreateDirectory(Path.Combine(_root.Path, "src", "app"));

        CommandResult result = await Run(new CommandRequest { Command = "touch here", WorkingDirectory = "src/app" });

        Assert.True(result.Succeeded);
        Assert.True(File.Exists(Path.Combine(_root.Path, "src", "app", "here")));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("/etc")]
    [InlineData("src/../../x")]
    [InlineData(".git")]
    public async Task RunAsync_WorkingDirectoryOutside_IsRefused(string folder)
    {
        var error = await Assert.ThrowsAsync<WorkspacePathException>(() => Run(new CommandRequest { Command = "touch escaped", WorkingDirectory = folder }));

        Assert.Equal(folder, error.Path);
    }

    [Fact]
    public async Task RunAsync_WorkingDirectoryMissing_ReportsClearly()
    {
        CommandResult result = await Run(new CommandRequest { Command = "true", WorkingDirectory = "no/such/folder" });

        Assert.Equal(-1, result.ExitCode);
        Assert.Contains("'no/such/folder' does not exist", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ShellMissing_ReportsClearly()
    {
        string shell = Path.Combine(_root.Path, "no-such-shell");

        CommandResult result = await ProcessRunner.RunAsync(new CommandRequest { Command = "true" }, _root.Path, new(), shell, Ct);

        Assert.Equal(-1, result.ExitCode);
        Assert.False(result.Succeeded);
        Assert.Contains($"could not start the shell '{shell}'", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public async Task RunAsync_EmptyCommand_Throws(string command)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Run(command));
    }

    [Fact]
    public async Task RunAsync_BadRequestEnvironmentName_Throws()
    {
        var request = new CommandRequest { Command = "true", Environment = new Dictionary<string, string?> { ["A=B"] = "x" } };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Run(request));
        Assert.Contains("'A=B'", error.Message, StringComparison.Ordinal);
    }

    private static void AssertGone(int pid)
    {
        // A killed process may linger as a zombie until its new parent reaps it; a zombie runs nothing.
        string stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return;
        }

        string state;
        try
        {
            string text = File.ReadAllText(stat);
            state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
        }
        catch (IOException)
        {
            return;
        }

        Assert.True(state is "Z" or "X", $"process {pid} is still alive (state {state})");
    }
}
