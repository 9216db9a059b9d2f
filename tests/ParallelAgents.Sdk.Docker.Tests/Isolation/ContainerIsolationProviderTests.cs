using System.Net;
using System.Net.Sockets;
using ParallelAgents.Sdk.Docker.Tests.TestSupport;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Docker.Tests.Isolation;

/// <summary>The container provider against a real Docker engine and a real git repository: the work lands on the
/// agent's branch, and the container is locked down (network, memory, processes, user, filesystem, environment).</summary>
public sealed class ContainerIsolationProviderTests : IDisposable
{
    private readonly GitRepository _repo = new(("README.md", "# demo\n"), ("src/app.txt", "app\n"));
    private readonly string _runId = DockerTestEngine.NewRunId();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _repo.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_FileWrittenInContainer_LandsOnTheAgentsBranchAfterCommit(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => o.UseCommandServer = commandServer);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("backend"), Ct);

        CommandResult result = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = "pwd; cat ../README.md; echo 'made in a container' > made.txt; mkdir -p docs && echo guide > docs/guide.md",
            WorkingDirectory = "src",
        }, Ct);
        WorkspaceCommit? commit = await workspace.CommitAsync("Work done in the container", Ct);

        Assert.True(result.Succeeded, result.Output);
        Assert.Equal("/workspace/src\n# demo\n", result.Output);
        Assert.NotNull(commit);
        Assert.Equal("agent/backend", commit.Branch);
        Assert.Equal(["src/docs/guide.md", "src/made.txt"], commit.ChangedFiles);
        Assert.Equal("made in a container\n", _repo.Git("show", "agent/backend:src/made.txt"));
        Assert.Equal("guide\n", _repo.Git("show", "agent/backend:src/docs/guide.md"));
        Assert.Equal("made in a container\n", await workspace.Files.ReadAllTextAsync("src/made.txt", Ct));
        _repo.AssertFsckClean();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_FileWrittenOnTheHost_IsSeenInTheContainer(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => o.UseCommandServer = commandServer);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("files"), Ct);

        await workspace.Files.WriteAllTextAsync("from-host.txt", "written by the file tool\n", Ct);
        CommandResult result = await workspace.ExecuteAsync(new CommandRequest { Command = "cat from-host.txt >&2; exit 3" }, Ct);

        Assert.Equal(3, result.ExitCode);
        Assert.False(result.Succeeded);
        Assert.Equal("written by the file tool\n", result.Output);
    }

    [Fact]
    public async Task ExecuteAsync_GitFileOfTheWorktree_CannotBeChangedFromTheContainer()
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider();
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("gitfile"), Ct);
        string before = File.ReadAllText(Path.Combine(workspace.RootPath, ".git"));

        CommandResult result = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = "echo 'gitdir: /elsewhere' > .git; echo write=$?; rm -f .git; echo remove=$?; mv .git moved; echo move=$?",
        }, Ct);

        Assert.Contains("write=1", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("remove=0", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("move=0", result.Output, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(Path.Combine(workspace.RootPath, ".git")));
    }

    [Fact]
    public async Task ExecuteAsync_NetworkNone_HasOnlyLoopbackAndCannotReachTheHost()
    {
        await DockerTestEngine.RequireAsync();
        (IPAddress bridge, string interfaces, bool reached) = await TryReachHostAsync(ContainerNetwork.None);

        Assert.Equal("lo\n", interfaces);
        Assert.False(reached, $"a container on network none connected to the host's listener on {bridge}");
    }

    [Fact]
    public async Task ExecuteAsync_NetworkBridge_ReachesTheHost_SoTheNoneTestCanFail()
    {
        await DockerTestEngine.RequireAsync();
        (IPAddress bridge, string interfaces, bool reached) = await TryReachHostAsync(ContainerNetwork.Bridge);

        Assert.Contains("eth0", interfaces, StringComparison.Ordinal);
        Assert.True(reached, $"a container on the bridge network did not reach the host's listener on {bridge}");
    }

    [Fact]
    public async Task ExecuteAsync_NetworkInternal_ContainersOfTheRunReachEachOtherButNotOtherNetworks()
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => o.Network = ContainerNetwork.Internal);
        await provider.StartRunAsync(_runId, Ct);
        await using IAgentWorkspace server = await provider.CreateWorkspaceAsync(Request("server"), Ct);
        await using IAgentWorkspace client = await provider.CreateWorkspaceAsync(Request("client"), Ct);
        string serverAddress = (await server.ExecuteAsync(new CommandRequest { Command = "ip -4 -o addr show eth0 | sed 's/.*inet \\([0-9.]*\\).*/\\1/'" }, Ct)).Output.Trim();

        // The listener waits for one connection; the client sends once the listener's process is there, and retries a
        // refused connection (bounded by its timeout). The listener's standard input must stay open (commands get a
        // closed one, and busybox nc that sees it closed may quit on the connection before reading what came), and then
        // nc does not end when the client hangs up: the command ends when the message has arrived.
        Task<CommandResult> listen = server.ExecuteAsync(new CommandRequest
        {
            Command = "sleep 60 2>/dev/null | nc -l -p 7000 > /tmp/received & until grep -q client /tmp/received 2>/dev/null; do sleep 0.05; done; cat /tmp/received",
            Timeout = TimeSpan.FromSeconds(60),
        }, Ct).AsTask();
        await WaitForProcessAsync(server, "nc -l -p 7000");
        CommandResult send = await client.ExecuteAsync(new CommandRequest
        {
            Command = $"until echo hello from the client | nc {serverAddress} 7000; do sleep 0.2; done",
            Timeout = TimeSpan.FromSeconds(60),
        }, Ct);
        CommandResult received = await listen;

        // A container on another network (the default bridge) listens; nothing from the run's network gets through to it.
        await using ContainerIsolationProvider outsider = NewProvider(o => o.Network = ContainerNetwork.Bridge);
        await using IAgentWorkspace outside = await outsider.CreateWorkspaceAsync(Request("outsider"), Ct);
        string outsideAddress = (await outside.ExecuteAsync(new CommandRequest { Command = "ip -4 -o addr show eth0 | sed 's/.*inet \\([0-9.]*\\).*/\\1/'" }, Ct)).Output.Trim();
        Task<CommandResult> outsideListen = outside.ExecuteAsync(new CommandRequest { Command = "nc -l -p 7001", Timeout = TimeSpan.FromSeconds(8) }, Ct).AsTask();
        await WaitForProcessAsync(outside, "nc -l -p 7001");
        CommandResult blocked = await client.ExecuteAsync(new CommandRequest { Command = $"echo escaped | nc -w 2 {outsideAddress} 7001; echo rc=$?" }, Ct);
        CommandResult outsideReceived = await outsideListen;

        Assert.True(send.Succeeded, send.Output);
        Assert.True(received.Output == "hello from the client\n", $"received {received} [{received.Output}]; sent {send} [{send.Output}]");
        Assert.DoesNotContain("rc=0", blocked.Output, StringComparison.Ordinal);
        Assert.True(outsideReceived.TimedOut, $"{outsideReceived} [{outsideReceived.Output}]");
        Assert.DoesNotContain("escaped", outsideReceived.Output, StringComparison.Ordinal);
        Assert.Single(DockerTestEngine.NetworksLabelled("parallelagents.run-id=" + _runId));

        await server.DisposeAsync();
        await client.DisposeAsync();
        await provider.EndRunAsync(_runId, Ct);
        Assert.Empty(DockerTestEngine.NetworksLabelled("parallelagents.run-id=" + _runId));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_AllocationPastTheMemoryLimit_IsKilledAndTheNextCommandWorks(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => { o.MemoryBytes = 64L * 1024 * 1024; o.UseCommandServer = commandServer; });
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("memory"), Ct);

        // tail keeps the whole line (no newline ever comes) in memory: 256 MiB against a 64 MiB limit.
        CommandResult hog = await workspace.ExecuteAsync(new CommandRequest { Command = "head -c 268435456 /dev/zero | tail > /dev/null" }, Ct);
        CommandResult after = await workspace.ExecuteAsync(new CommandRequest { Command = "echo still here" }, Ct);

        // Commands are the kernel's first choice when memory runs out, before the container's own processes (a killed
        // command server ends the command it runs with an unknown exit code).
        CommandResult adjustment = await workspace.ExecuteAsync(new CommandRequest { Command = "cat /proc/self/oom_score_adj" }, Ct);

        Assert.Equal(137, hog.ExitCode);
        Assert.False(hog.TimedOut);
        Assert.True(after.Succeeded, after.Output);
        Assert.Equal("still here\n", after.Output);
        Assert.Equal("1000\n", adjustment.Output);
        Assert.Equal("true\n", DockerTestEngine.Docker("inspect", "--format", "{{.State.Running}}", ((ContainerWorkspace)workspace).ContainerId));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_ForkBomb_StopsAtThePidsLimitAndTheWorkspaceGoesOn(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => { o.PidsLimit = 24; o.UseCommandServer = commandServer; });
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("forks"), Ct);

        // Bounded: 100 sleepers asked for against a limit of 24. Each is started by a shell of its own, so that a
        // failed fork ends that shell (as sh does) and the loop goes on counting.
        CommandResult bomb = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = "i=0; f=0; while [ $i -lt 100 ]; do if ! sh -c 'sleep 600 </dev/null >/dev/null 2>&1 &' 2>/dev/null; then f=$((f+1)); fi; i=$((i+1)); done; echo tried=$i failed=$f",
            Timeout = TimeSpan.FromMinutes(2),
        }, Ct);
        CommandResult after = await workspace.ExecuteAsync(new CommandRequest { Command = "echo still here; ps -o args | grep -c '^sleep 600' || true" }, Ct);

        Assert.True(bomb.Succeeded, bomb.Output);
        Assert.Matches(@"^tried=100 failed=([1-9]\d*)\n$", bomb.Output);
        Assert.True(after.Succeeded, after.Output);
        Assert.Equal("still here\n0\n", after.Output);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_LockedDown_NotRootNoCapabilitiesNoNewPrivilegesReadOnlyRootWritableTmp(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => o.UseCommandServer = commandServer);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("lockdown"), Ct);

        CommandResult result = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = "id -u; grep -E '^(CapEff|CapPrm|NoNewPrivs)' /proc/self/status | tr -s '\\t ' ' '; " +
                "touch /etc/x 2>/dev/null; echo etc=$?; touch /tmp/x; echo tmp=$?; touch /workspace/x; echo workspace=$?",
        }, Ct);

        string uid = provider.User.Split(':')[0];
        Assert.True(result.Succeeded, result.Output);
        Assert.NotEqual("0", uid);
        Assert.Equal($"{uid}\nCapPrm: 0000000000000000\nCapEff: 0000000000000000\nNoNewPrivs: 1\netc=1\ntmp=0\nworkspace=0\n", result.Output);
        Assert.True(File.Exists(Path.Combine(workspace.RootPath, "x")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_PastItsTimeout_IsKilledWithEverythingItStarted(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => o.UseCommandServer = commandServer);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("timeout"), Ct);

        CommandResult slow = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = "sleep 301 & (sleep 302 &) ; echo started; sleep 303",
            Timeout = TimeSpan.FromSeconds(2),
        }, Ct);
        CommandResult ps = await workspace.ExecuteAsync(new CommandRequest { Command = "ps -o args" }, Ct);

        Assert.True(slow.TimedOut);
        Assert.Equal(-1, slow.ExitCode);
        Assert.StartsWith("started\n", slow.Output, StringComparison.Ordinal);
        Assert.EndsWith("[timed out after 00:00:02; the command and every process it started were killed]\n", slow.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("sleep 30", ps.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_BackgroundProcessOutlivingTheCommand_IsKilledWhenTheCommandEnds(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => o.UseCommandServer = commandServer);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("straggler"), Ct);

        CommandResult quick = await workspace.ExecuteAsync(new CommandRequest { Command = "sleep 304 > /dev/null 2>&1 & echo left one behind" }, Ct);
        CommandResult ps = await workspace.ExecuteAsync(new CommandRequest { Command = "ps -o args" }, Ct);

        Assert.True(quick.Succeeded, quick.Output);
        Assert.Equal("left one behind\n", quick.Output);
        Assert.DoesNotContain("sleep 304", ps.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_Cancelled_KillsTheCommandAndThrows(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => o.UseCommandServer = commandServer);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("cancel"), Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        Task<CommandResult> running = workspace.ExecuteAsync(new CommandRequest { Command = "echo up; sleep 305" }, cts.Token).AsTask();
        await WaitForProcessAsync(workspace, "sleep 305");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        CommandResult ps = await workspace.ExecuteAsync(new CommandRequest { Command = "ps -o args" }, Ct);
        Assert.DoesNotContain("sleep 305", ps.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_LongOutput_KeepsHeadAndTailWithinTheCap(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => o.UseCommandServer = commandServer);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("output"), Ct);

        CommandResult result = await workspace.ExecuteAsync(new CommandRequest { Command = "seq 1 100000", MaxOutputChars = 100 }, Ct);

        Assert.True(result.Succeeded);
        Assert.StartsWith("1\n2\n3\n", result.Output, StringComparison.Ordinal);
        Assert.EndsWith("99999\n100000\n", result.Output, StringComparison.Ordinal);
        Assert.Equal(588_895 - 100, result.OmittedChars);
        Assert.Contains("[... 588,795 characters cut ...]", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_Environment_HasNoHostSecretsOnlyWhatIsNamed(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        using var secret = new EnvironmentVariable("PA_DOCKER_TEST_API_KEY", "sk-host-secret-value");
        using var plain = new EnvironmentVariable("PA_DOCKER_TEST_PLAIN", "host-plain-value");
        await using ContainerIsolationProvider provider = NewProvider(o => { o.Environment["TEAM_SETTING"] = "from-options"; o.UseCommandServer = commandServer; });
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("env"), Ct);

        CommandResult result = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = "env",
            Environment = new Dictionary<string, string?> { ["NAMED_API_KEY"] = "sk-named", ["GIT_TERMINAL_PROMPT"] = null },
        }, Ct);

        Assert.True(result.Succeeded, result.Output);
        Assert.DoesNotContain("sk-host-secret-value", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("host-plain-value", result.Output, StringComparison.Ordinal);
        Assert.Contains("NAMED_API_KEY=sk-named\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("TEAM_SETTING=from-options\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("HOME=/tmp\n", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("GIT_TERMINAL_PROMPT", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExecuteAsync_WorkingFolderOutsideTheWorkspace_IsRefused(bool commandServer)
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => o.UseCommandServer = commandServer);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("escape"), Ct);

        await Assert.ThrowsAsync<WorkspacePathException>(() => workspace.ExecuteAsync(new CommandRequest { Command = "ls", WorkingDirectory = "../.." }, Ct).AsTask());
        CommandResult missing = await workspace.ExecuteAsync(new CommandRequest { Command = "ls", WorkingDirectory = "nope" }, Ct);
        Assert.Equal(-1, missing.ExitCode);
        Assert.Contains("does not exist", missing.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisposeAsync_RemovesTheContainerAndTheWorktree_KeepsTheBranch()
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => o.Labels["team"] = "tests");
        IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("cleanup"), Ct);
        await workspace.ExecuteAsync(new CommandRequest { Command = "echo done > done.txt" }, Ct);
        await workspace.CommitAsync("done", Ct);
        IReadOnlyList<string> before = DockerTestEngine.ContainersLabelled("parallelagents.run-id=" + _runId);
        string labels = DockerTestEngine.Docker("inspect", "--format", "{{json .Config.Labels}}", before.Single());

        await workspace.DisposeAsync();

        Assert.Contains("\"parallelagents.task-id\":\"cleanup\"", labels, StringComparison.Ordinal);
        Assert.Contains($"\"parallelagents.owner-pid\":\"{Environment.ProcessId}\"", labels, StringComparison.Ordinal);
        Assert.Contains("\"team\":\"tests\"", labels, StringComparison.Ordinal);
        Assert.Empty(DockerTestEngine.ContainersLabelled("parallelagents.run-id=" + _runId));
        Assert.False(Directory.Exists(workspace.RootPath));
        Assert.Equal("done\n", _repo.Git("show", "agent/cleanup:done.txt"));
        Assert.Single(_repo.Worktrees());
    }

    [Fact]
    public async Task DisposeAsync_OfTheProvider_RemovesWorkspacesNotDisposed()
    {
        await DockerTestEngine.RequireAsync();
        ContainerIsolationProvider provider = NewProvider();
        IAgentWorkspace first = await provider.CreateWorkspaceAsync(Request("left-a"), Ct);
        IAgentWorkspace second = await provider.CreateWorkspaceAsync(Request("left-b"), Ct);
        Assert.Equal(2, DockerTestEngine.ContainersLabelled("parallelagents.run-id=" + _runId).Count);

        await provider.DisposeAsync();

        Assert.Empty(DockerTestEngine.ContainersLabelled("parallelagents.run-id=" + _runId));
        Assert.False(Directory.Exists(first.RootPath));
        Assert.False(Directory.Exists(second.RootPath));
        Assert.Single(_repo.Worktrees());
    }

    [Fact]
    public async Task StartRunAsync_ImageMissing_SaysSoBeforeAnyContainer()
    {
        await DockerTestEngine.RequireAsync();
        await using ContainerIsolationProvider provider = NewProvider(o => o.Image = "parallelagents-test/no-such-image:" + Guid.NewGuid().ToString("N")[..8]);

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.StartRunAsync(_runId, Ct).AsTask());

        Assert.Contains("is not on the Docker engine", error.Message, StringComparison.Ordinal);
        Assert.Contains("never pulls", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnsureAvailableAsync_NoEngineAtTheEndpoint_ThrowsNamingTheEndpoint()
    {
        string endpoint = $"unix:///tmp/pa-no-docker-{Guid.NewGuid():N}.sock";
        await using ContainerIsolationProvider provider = NewProvider(o => o.Endpoint = endpoint);

        DockerUnavailableException error = await Assert.ThrowsAsync<DockerUnavailableException>(() => provider.EnsureAvailableAsync(Ct));
        DockerUnavailableException onCreate = await Assert.ThrowsAsync<DockerUnavailableException>(() => provider.CreateWorkspaceAsync(Request("never"), Ct).AsTask());

        Assert.Equal(endpoint, error.Endpoint);
        Assert.StartsWith($"no Docker engine answered at {endpoint}; start dockerd", error.Message, StringComparison.Ordinal);
        Assert.Contains("set DOCKER_HOST", error.Message, StringComparison.Ordinal);
        Assert.Equal(endpoint, onCreate.Endpoint);
        Assert.Single(_repo.Worktrees());
    }

    [Fact]
    public void Constructor_InvalidOptions_ListsEveryProblem()
    {
        var options = new ContainerIsolationOptions
        {
            Image = "",
            Endpoint = "ftp://docker",
            User = "0:0",
            MemoryBytes = 1024,
            Cpus = -1,
            PidsLimit = 3,
            TmpSizeBytes = 10,
            KeepAliveCommand = [],
        };
        options.Labels["parallelagents.run-id"] = "mine";
        options.Environment["A=B"] = "x";

        ParallelAgentsConfigurationException error = Assert.Throws<ParallelAgentsConfigurationException>(() => new ContainerIsolationProvider(options));

        Assert.Equal(11, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.StartsWith("Image is required", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Endpoint 'ftp://docker' has the scheme 'ftp'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("User '0:0' is root", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("MemoryBytes must be", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Cpus must be", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("PidsLimit must be", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("TmpSizeBytes must be", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("KeepAliveCommand must be", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Labels has the key 'parallelagents.run-id'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Environment has the name 'A=B'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Worktree is required", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("unix:///var/run/docker.sock", true)]
    [InlineData("tcp://10.0.0.5:2375", true)]
    [InlineData("tcp://10.0.0.5", false)]
    [InlineData("https://10.0.0.5:2376", false)]
    [InlineData("unix://", false)]
    [InlineData("docker.sock", false)]
    public void Constructor_Endpoint_AcceptsUnixAndTcp(string endpoint, bool valid)
    {
        var options = new ContainerIsolationOptions
        {
            Image = DockerTestEngine.Image,
            Endpoint = endpoint,
            Worktree = new WorktreeIsolationOptions { RepositoryPath = _repo.Path },
        };

        var problems = new List<string>();
        options.Validate(problems, worktreeRequired: true);

        Assert.Equal(valid, problems.Count == 0);
    }

    [Fact]
    public void User_Default_IsTheHostUserOrANonRootUserInItsGroup()
    {
        using ContainerIsolationProviderHolder holder = new(NewProvider());
        ContainerUser host = ContainerUser.Host()!.Value;

        string expected = host.Uid == 0 ? $"1000:{host.Gid}" : $"{host.Uid}:{host.Gid}";
        Assert.Equal(expected, holder.Provider.User);
    }

    private ContainerIsolationProvider NewProvider(Action<ContainerIsolationOptions>? configure = null)
    {
        var options = new ContainerIsolationOptions
        {
            Image = DockerTestEngine.Image,
            Endpoint = DockerTestEngine.Endpoint,
            Cpus = 1,
            Worktree = new WorktreeIsolationOptions { RepositoryPath = _repo.Path },
        };
        configure?.Invoke(options);
        return new ContainerIsolationProvider(options);
    }

    private WorkspaceRequest Request(string taskId) =>
        new() { RunId = _runId, Task = new AgentTask { Id = taskId, Instructions = "do " + taskId } };

    /// <summary>Opens a listener on the host's address on Docker's default bridge, and has a container on
    /// <paramref name="network"/> list its interfaces and try to connect to it.</summary>
    private async Task<(IPAddress Bridge, string Interfaces, bool Reached)> TryReachHostAsync(ContainerNetwork network)
    {
        IPAddress bridge = DockerTestEngine.DefaultBridgeAddress();
        using var listener = new TcpListener(bridge, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;

        // A connection is closed as soon as it is accepted, which is what lets nc in the container end.
        Task<bool> accepted = listener.AcceptSocketAsync(Ct).AsTask().ContinueWith(
            t =>
            {
                if (!t.IsCompletedSuccessfully)
                {
                    return false;
                }

                t.Result.Dispose();
                return true;
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        await using ContainerIsolationProvider provider = NewProvider(o => o.Network = network);
        await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(Request("net-" + network.ToString().ToLowerInvariant()), Ct);

        CommandResult interfaces = await workspace.ExecuteAsync(new CommandRequest { Command = "ls /sys/class/net" }, Ct);
        CommandResult connect = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = $"echo knock | nc -w 3 {bridge} {port}; echo rc=$?",
            Timeout = TimeSpan.FromMinutes(1),
        }, Ct);

        // nc says whether it connected. The kernel completes a connection before the listener's accept sees it, and on a
        // loaded machine that accept's continuation may run after nc has given up waiting (-w 3) and ended: a connection
        // nc made is awaited (bounded), not looked at; one it did not make must not have reached the listener.
        bool reached;
        if (connect.Output.Contains("rc=0", StringComparison.Ordinal))
        {
            try
            {
                reached = await accepted.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            }
            catch (TimeoutException)
            {
                reached = false;
            }
        }
        else
        {
            reached = accepted.IsCompletedSuccessfully && accepted.Result;
        }

        listener.Stop();
        Assert.Contains("rc=", connect.Output, StringComparison.Ordinal);
        return (bridge, interfaces.Output.Replace(' ', '\n'), reached);
    }

    /// <summary>Waits until a process whose arguments start with <paramref name="args"/> runs in the container.</summary>
    private static async Task WaitForProcessAsync(IAgentWorkspace workspace, string args)
    {
        CommandResult result = await workspace.ExecuteAsync(new CommandRequest
        {
            Command = $"until ps -o args | grep -q '^{args}'; do sleep 0.05; done",
            Timeout = TimeSpan.FromMinutes(1),
        }, Ct);
        Assert.True(result.Succeeded, result.Output);
    }

    private sealed class ContainerIsolationProviderHolder(ContainerIsolationProvider provider) : IDisposable
    {
        public ContainerIsolationProvider Provider { get; } = provider;

        public void Dispose() => Provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
