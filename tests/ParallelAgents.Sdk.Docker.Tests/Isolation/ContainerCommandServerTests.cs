using ParallelAgents.Sdk.Docker.Tests.TestSupport;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Docker.Tests.Isolation;

/// <summary>The shell kept running in each container (<see cref="ContainerIsolationOptions.UseCommandServer"/>), against a
/// real Docker engine: it is really used, commands reach it unharmed, concurrent commands still run concurrently, and
/// a server that dies is reported and replaced. The exec path's guarantees (timeout, cancellation, environment, output
/// cap, stragglers) are checked on both paths by <see cref="ContainerIsolationProviderTests"/>.</summary>
public sealed class ContainerCommandServerTests : IDisposable
{
    private readonly GitRepository _repo = new(("README.md", "# demo\n"));
    private readonly string _runId = DockerTestEngine.NewRunId();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _repo.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_SuccessiveCommands_RunUnderOneServerShellOnlyWhenTheServerIsOn(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(commandServer);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("parent"), Ct);

        // The command's parent: the server shell (the same each time), or a wrapper shell of its own exec.
        string first = (await workspace.ExecuteAsync(new CommandRequest { Command = "echo $PPID" }, Ct)).Output;
        string second = (await workspace.ExecuteAsync(new CommandRequest { Command = "echo $PPID" }, Ct)).Output;

        Assert.Matches(@"^\d+\n$", first);
        Assert.Equal(commandServer, first == second);
        Assert.Null(((ContainerWorkspace)workspace).Server?.Unavailable);
    }

    [Fact]
    public async Task ExecuteAsync_CommandWithNewlinesBackslashesAndUnicode_ReachesTheShellUnchanged()
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(commandServer: true);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("text"), Ct);
        await workspace.Files.WriteAllTextAsync("dir with space/x.txt", "x\n", Ct);

        CommandResult result = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = "printf '%s|%s|\\n' \"$TEXT\" \"$PLAIN\"\ncat <<'EOF'\n  two \\\\ back\\slashes\\n, héllo wörld ✓\nEOF\npwd\nprintf 'nul:\\000:end\\n'\n",
            WorkingDirectory = "dir with space",
            Environment = new Dictionary<string, string?> { ["TEXT"] = "line one\nline two\\t\n", ["PLAIN"] = "=a=b= " },
        }, Ct);

        Assert.True(result.Succeeded, result.Output);
        Assert.Equal("line one\nline two\\t\n|=a=b= |\n  two \\\\ back\\slashes\\n, héllo wörld ✓\n/workspace/dir with space\nnul:\0:end\n", result.Output);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_VariablesNamedLikeTheWrappersOwn_ReachTheCommandUnchanged(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        string[] names = ["a", "c", "n", "o", "q", "r", "s", "w"];
        await using ContainerIsolationProvider provider = NewProvider(commandServer, configure: o =>
        {
            foreach (string name in names)
            {
                o.Environment[name] = "container-" + name;
            }
        });
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("names"), Ct);

        CommandResult result = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = "echo \"$a $c $n $o $q $r $s $w\"",
            Environment = new Dictionary<string, string?> { ["w"] = "request-w" },
        }, Ct);

        Assert.True(result.Succeeded, result.Output);
        Assert.Equal("container-a container-c container-n container-o container-q container-r container-s request-w\n", result.Output);
    }

    [Fact]
    public async Task ExecuteAsync_TwoCommandsAtOnce_RunConcurrently()
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(commandServer: true);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("together"), Ct);

        // The first waits for a file only the second makes: serialised, they would never both end.
        Task<CommandResult> waiter = workspace.ExecuteAsync(new CommandRequest
        {
            Command = "until [ -f go ]; do sleep 0.05; done; echo waited",
            Timeout = TimeSpan.FromMinutes(1),
        }, Ct).AsTask();
        CommandResult maker = await workspace.ExecuteAsync(new CommandRequest { Command = "touch go; echo made" }, Ct);
        CommandResult waited = await waiter;

        Assert.Equal("made\n", maker.Output);
        Assert.False(waited.TimedOut, waited.Output);
        Assert.Equal("waited\n", waited.Output);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_ProcessThatLeftTheSessionHoldsTheOutput_ResultSaysSoAndTheNextCommandWorks(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(commandServer);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("escapee"), Ct);

        // setsid gives the sleeper a session of its own, which the sweep of the command's session does not reach, and
        // it keeps the command's output open. The command waits until the sleeper has left its session (the file is
        // written after setsid), so the sweep cannot catch it before. The engine closes an exec's output when its
        // process ends; the server stops reading after a grace period and says why.
        CommandResult held = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = "rm -f /tmp/escapee; setsid sh -c 'echo $$ > /tmp/escapee; exec sleep 307' & until [ -s /tmp/escapee ]; do :; done; echo started",
            Timeout = TimeSpan.FromMinutes(1),
        }, Ct);
        CommandResult next = await workspace.ExecuteAsync(new CommandRequest { Command = "echo next" }, Ct);

        Assert.Equal(0, held.ExitCode);
        Assert.False(held.TimedOut);
        Assert.StartsWith("started\n", held.Output, StringComparison.Ordinal);
        Assert.Equal(commandServer, held.Output.Contains("[the command's output stayed open after it exited", StringComparison.Ordinal));
        Assert.True(next.Succeeded, next.Output);
        Assert.Equal("next\n", next.Output);
    }

    [Fact]
    public async Task ExecuteAsync_ServerKilledDuringACommand_SaysSoKillsTheCommandAndTheNextCommandWorks()
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(commandServer: true);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("dies"), Ct);
        await workspace.ExecuteAsync(new CommandRequest { Command = "true" }, Ct);

        // The command's parent is the server: kill it, and keep running (the exec path would have to kill the command).
        CommandResult orphan = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = "echo before; kill -9 $PPID; sleep 306",
            Timeout = TimeSpan.FromMinutes(2),
        }, Ct);
        CommandResult next = await workspace.ExecuteAsync(new CommandRequest { Command = "ps -o args; echo next" }, Ct);

        Assert.Equal(-1, orphan.ExitCode);
        Assert.False(orphan.TimedOut);
        Assert.Contains("[the command server in the container stopped before the command ended", orphan.Output, StringComparison.Ordinal);
        Assert.True(next.Succeeded, next.Output);
        Assert.EndsWith("next\n", next.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("sleep 306", next.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_ImageWithoutBase64_ServerSendsHexAndTheOutputIsTheSame()
    {
        await DockerTestEngine.RequireAsync();
        string image = await DockerTestEngine.NoBase64ImageAsync();
        await using ContainerIsolationProvider provider = NewProvider(commandServer: true, image);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("hex"), Ct);

        CommandResult first = await workspace.ExecuteAsync(new CommandRequest { Command = "printf 'nul:\\000:h\\303\\251llo\\n'; echo $PPID >&2" }, Ct);
        CommandResult second = await workspace.ExecuteAsync(new CommandRequest { Command = "echo $PPID; exit 5" }, Ct);

        Assert.True(first.Succeeded, first.Output);
        Assert.StartsWith("nul:\0:héllo\n", first.Output, StringComparison.Ordinal);
        Assert.Equal(5, second.ExitCode);
        Assert.Equal(first.Output["nul:\0:héllo\n".Length..], second.Output);
        Assert.Null(((ContainerWorkspace)workspace).Server?.Unavailable);
    }

    [Fact]
    public async Task ExecuteAsync_ImageWithoutWhatTheServerNeeds_FallsBackToExec()
    {
        await DockerTestEngine.RequireAsync();
        string image = await DockerTestEngine.ShellOnlyImageAsync();
        await using ContainerIsolationProvider provider = NewProvider(commandServer: true, image);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("bare"), Ct);

        CommandResult result = await workspace.ExecuteAsync(new CommandRequest { Command = "echo works; exit 4" }, Ct);

        Assert.Equal(4, result.ExitCode);
        Assert.Equal("works\n", result.Output);
        Assert.Equal("the image has no 'od', which the command server needs", ((ContainerWorkspace)workspace).Server?.Unavailable);
    }

    private ContainerIsolationProvider NewProvider(bool commandServer, string? image = null, Action<ContainerIsolationOptions>? configure = null)
    {
        var options = new ContainerIsolationOptions
        {
            Image = image ?? DockerTestEngine.Image,
            Endpoint = DockerTestEngine.Endpoint,
            Cpus = 1,
            UseCommandServer = commandServer,
            Worktree = new WorktreeIsolationOptions { RepositoryPath = _repo.Path },
        };
        configure?.Invoke(options);
        return new ContainerIsolationProvider(options);
    }

    private WorkspaceRequest Request(string taskId) =>
        new() { RunId = _runId, Task = new AgentTask { Id = taskId, Instructions = "do " + taskId } };
}
