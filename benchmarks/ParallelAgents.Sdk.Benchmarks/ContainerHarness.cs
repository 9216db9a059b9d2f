using System.Diagnostics;
using System.Globalization;
using ParallelAgents.Sdk.Docker;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// The container provider against the docker CLI on the same engine, in the same run, alternating one measurement of
/// each so that drift hits both sides alike:
/// <list type="bullet">
/// <item>start: a whole workspace (worktree of a one-file repository, container created and started, one command run
/// through exec, container and worktree removed) against <c>docker run --rm</c> of the same command with the same
/// lockdown flags and bind mount (target at most 1.0×);</item>
/// <item>exec: one command in a running container (<see cref="IAgentWorkspace.ExecuteAsync"/>, through the command
/// server kept running in the container) against <c>docker exec</c> (target at most 0.5×);</item>
/// <item>for reference, the same with <see cref="ContainerIsolationOptions.UseCommandServer"/> off (one Docker exec per
/// command) against <c>docker exec</c>.</item>
/// </list>
/// Not a BenchmarkDotNet benchmark: each measurement takes tens to hundreds of milliseconds of engine time, and the
/// figure of merit is the ratio of medians.
/// </summary>
internal static class ContainerHarness
{
    private const double StartTarget = 1.0;
    private const double ExecTarget = 0.5;

    public static async Task<int> RunAsync(string[] args)
    {
        string image = Option(args, "--image", "parallelagents-test/busybox:1");
        int startRuns = int.Parse(Option(args, "--start-runs", "15"), CultureInfo.InvariantCulture);
        int execRuns = int.Parse(Option(args, "--exec-runs", "40"), CultureInfo.InvariantCulture);
        string endpoint = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";
        if (!await ContainerImages.ExistsAsync(image, endpoint))
        {
            Console.Error.WriteLine($"The image '{image}' is not on the engine at {endpoint}; make one (samples/docker/make-base-image.sh {image}) or pass --image.");
            return 2;
        }

        string repository = Directory.CreateTempSubdirectory("pa-bench-repo-").FullName;
        try
        {
            Git(repository, "init", "-q", "-b", "main");
            File.WriteAllText(Path.Combine(repository, "README.md"), "# bench\n");
            Git(repository, "add", "-A");
            Git(repository, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "initial");
            await using var provider = new ContainerIsolationProvider(new ContainerIsolationOptions
            {
                Image = image,
                Endpoint = endpoint,
                Worktree = new WorktreeIsolationOptions { RepositoryPath = repository },
            });
            await provider.StartRunAsync("bench");
            Print($"engine {endpoint}, image {image}, user {provider.User}, 2 s of warm-up per side, load average {LoadAverage()}");

            string mount = Directory.CreateTempSubdirectory("pa-bench-mount-").FullName;
            var start = new Side("provider: workspace + 1 command + dispose", "docker run --rm (same flags, same command)");
            int task = 0;
            async Task ProviderStartAsync()
            {
                var request = new WorkspaceRequest { RunId = "bench", Task = new AgentTask { Id = $"bench-{task++}", Instructions = "x" } };
                await using IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(request);
                Check(await workspace.ExecuteAsync(new CommandRequest { Command = "echo hi" }));
            }

            string[] runArgs =
            [
                "run", "--rm", "--network", "none", "--user", provider.User, "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges", "--memory", "2g", "--memory-swap", "2g", "--cpus", "2", "--pids-limit", "512",
                "--init", "-v", mount + ":/workspace", "-w", "/workspace", image, "sh", "-c", "echo hi",
            ];
            await MeasureAsync(start, startRuns, ProviderStartAsync, () => Docker(endpoint, runArgs));
            Report(start, StartTarget);

            var exec = new Side("provider: ExecuteAsync in a running container", "docker exec (same container)");
            var bigExec = new Side("provider: ExecuteAsync printing 1 MiB (output capped as usual)", "docker exec printing 1 MiB (read whole)");
            await using (IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(
                new WorkspaceRequest { RunId = "bench", Task = new AgentTask { Id = "bench-exec", Instructions = "x" } }))
            {
                string container = ((ContainerWorkspace)workspace).ContainerId;
                await MeasureAsync(
                    exec,
                    execRuns,
                    async () => Check(await workspace.ExecuteAsync(new CommandRequest { Command = "echo hi" })),
                    () => Docker(endpoint, "exec", "-u", provider.User, "-w", "/workspace", container, "sh", "-c", "echo hi"));

                // The server sends output as od's hex text (three bytes a byte) and this side decodes it: what that
                // costs on a large output, against docker exec's raw stream.
                const string Big = "head -c 1048576 /dev/zero | tr '\\0' a";
                await MeasureAsync(
                    bigExec,
                    Math.Max(5, execRuns / 4),
                    async () =>
                    {
                        CommandResult result = await workspace.ExecuteAsync(new CommandRequest { Command = Big });
                        if (!result.Succeeded || result.Output.Length + result.OmittedChars < OneMiB)
                        {
                            throw new InvalidOperationException("The measured command failed: " + result);
                        }
                    },
                    () => Docker(endpoint, OneMiB, "exec", "-u", provider.User, "-w", "/workspace", container, "sh", "-c", Big));
            }

            Report(exec, ExecTarget);
            Report(bigExec, target: null);

            await using var plainProvider = new ContainerIsolationProvider(new ContainerIsolationOptions
            {
                Image = image,
                Endpoint = endpoint,
                UseCommandServer = false,
                Worktree = new WorktreeIsolationOptions { RepositoryPath = repository },
            });
            var plain = new Side("provider, command server off: one Docker exec per command", "docker exec (same container)");
            await using (IAgentWorkspace workspace = await plainProvider.CreateWorkspaceAsync(
                new WorkspaceRequest { RunId = "bench", Task = new AgentTask { Id = "bench-plain-exec", Instructions = "x" } }))
            {
                string container = ((ContainerWorkspace)workspace).ContainerId;
                await MeasureAsync(
                    plain,
                    execRuns,
                    async () => Check(await workspace.ExecuteAsync(new CommandRequest { Command = "echo hi" })),
                    () => Docker(endpoint, "exec", "-u", provider.User, "-w", "/workspace", container, "sh", "-c", "echo hi"));
            }

            Report(plain, target: null);
            Print("load average: " + LoadAverage());
            Directory.Delete(mount, recursive: true);
            return start.Ratio <= StartTarget && exec.Ratio <= ExecTarget ? 0 : 1;
        }
        finally
        {
            Directory.Delete(repository, recursive: true);
            string worktrees = repository + ".worktrees";
            if (Directory.Exists(worktrees))
            {
                Directory.Delete(worktrees, recursive: true);
            }
        }
    }

    private static async Task MeasureAsync(Side side, int runs, Func<Task> provider, Func<Task> baseline)
    {
        var warmUp = Stopwatch.StartNew();
        while (warmUp.Elapsed < TimeSpan.FromSeconds(2))
        {
            await provider();
            await baseline();
        }

        for (int i = 0; i < runs; i++)
        {
            // Alternate which side goes first, so that neither always follows the other's cleanup.
            if (i % 2 == 0)
            {
                side.Provider.Add(await TimeAsync(provider));
                side.Baseline.Add(await TimeAsync(baseline));
            }
            else
            {
                side.Baseline.Add(await TimeAsync(baseline));
                side.Provider.Add(await TimeAsync(provider));
            }
        }
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        long started = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static void Report(Side side, double? target)
    {
        Print(string.Create(CultureInfo.InvariantCulture,
            $"{side.ProviderName}: median {Median(side.Provider):F1} ms, p90 {Percentile(side.Provider, 0.9):F1} ms ({side.Provider.Count} runs)"));
        Print(string.Create(CultureInfo.InvariantCulture,
            $"{side.BaselineName}: median {Median(side.Baseline):F1} ms, p90 {Percentile(side.Baseline, 0.9):F1} ms ({side.Baseline.Count} runs)"));
        Print(target is { } goal
            ? string.Create(CultureInfo.InvariantCulture, $"ratio {side.Ratio:F2}x (target at most {goal:F1}x): {(side.Ratio <= goal ? "met" : "NOT met")}")
            : string.Create(CultureInfo.InvariantCulture, $"ratio {side.Ratio:F2}x (no target: for reference)"));
        Print(string.Empty);
    }

    private static void Check(CommandResult result)
    {
        if (!result.Succeeded || result.Output != "hi\n")
        {
            throw new InvalidOperationException("The measured command failed: " + result);
        }
    }

    private const int OneMiB = 1024 * 1024;

    private static Task Docker(string endpoint, params string[] args) => Docker(endpoint, expectedLength: null, args);

    private static async Task Docker(string endpoint, int? expectedLength, params string[] args)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOCKER_HOST"] = endpoint;
        using Process docker = Process.Start(start)!;
        string output = await docker.StandardOutput.ReadToEndAsync();
        string error = await docker.StandardError.ReadToEndAsync();
        await docker.WaitForExitAsync();
        if (docker.ExitCode != 0 || (expectedLength is { } length ? output.Length != length : output != "hi\n"))
        {
            throw new InvalidOperationException($"docker {args[0]} failed ({docker.ExitCode}): {output}{error}");
        }
    }

    private static void Git(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process git = Process.Start(start)!;
        git.WaitForExit();
        if (git.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {git.StandardError.ReadToEnd()}");
        }
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        double[] sorted = [.. values.Order()];
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(p * sorted.Length))];
    }

    private static string Option(string[] args, string name, string fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    private static void Print(string line) => Console.WriteLine(line);

    /// <summary>The machine's load over 1, 5 and 15 minutes (Linux), so that a figure can be read against it.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private sealed class Side(string providerName, string baselineName)
    {
        public string ProviderName { get; } = providerName;

        public string BaselineName { get; } = baselineName;

        public List<double> Provider { get; } = [];

        public List<double> Baseline { get; } = [];

        public double Ratio => Median(Provider) / Median(Baseline);
    }
}
