using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// Worktree creation on a generated 2,000-file repository: the provider's <see cref="WorktreeIsolationProvider.CreateWorkspaceAsync"/>
/// + <c>DisposeAsync</c> against <c>git worktree add -B</c> + <c>git worktree remove</c> run as
/// processes (the baseline; target: a Ratio of at most 1.0), and how much a warm pool cuts an agent's start.
/// </summary>
/// <remarks>
/// Run with <c>dotnet run -c Release --project benchmarks/ParallelAgents.Sdk.Benchmarks -- worktree</c>. The repository
/// (2,000 files of 1 to 4 KB in 40 folders, one commit) is made once in a fresh temporary folder. The "start only"
/// rows time <see cref="WorktreeIsolationProvider.CreateWorkspaceAsync"/> alone, the workspace being disposed after the
/// measurement; for the warm-pool row the pool is refilled (and waited for) before each measurement, so the row is the
/// time an agent waits when a pooled worktree is ready. Each iteration is one operation (invocation count 1), since
/// the start-only rows need a fresh state per operation.
/// </remarks>
[Config(typeof(Config))]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes of them in [GlobalCleanup].")]
public class WorktreeBenchmarks
{
    private const int Files = 2_000;
    private const string RunId = "bench-run";

    private string _folder = null!;
    private string _repository = null!;
    private string _cliWorktree = null!;
    private WorktreeIsolationProvider _provider = null!;
    private WorktreeIsolationProvider _pooled = null!;
    private IAgentWorkspace? _started;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "pa-worktree-bench-" + Guid.NewGuid().ToString("N"));
        _repository = Path.Combine(_folder, "repo");
        _cliWorktree = Path.Combine(_folder, "cli-worktree");
        MakeRepository(_repository, Files);
        _provider = new WorktreeIsolationProvider(new WorktreeIsolationOptions { RepositoryPath = _repository });
        _pooled = new WorktreeIsolationProvider(new WorktreeIsolationOptions
        {
            RepositoryPath = _repository,
            WorktreesDirectory = Path.Combine(_folder, "pooled-worktrees"),
            WarmPoolSize = 1,
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _pooled.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "git worktree add -B + git worktree remove (CLI)")]
    public void GitCli()
    {
        Git(_repository, "worktree", "add", "-q", "-B", "bench/cli", _cliWorktree, "main");
        Git(_repository, "worktree", "remove", _cliWorktree);
    }

    [Benchmark(Description = "CreateWorkspaceAsync + DisposeAsync")]
    public async Task Provider()
    {
        IAgentWorkspace workspace = await _provider.CreateWorkspaceAsync(Request("create-dispose")).ConfigureAwait(false);
        await workspace.DisposeAsync().ConfigureAwait(false);
    }

    [Benchmark(Description = "start only: CreateWorkspaceAsync")]
    public async Task StartCold() => _started = await _provider.CreateWorkspaceAsync(Request("start-cold")).ConfigureAwait(false);

    [IterationSetup(Target = nameof(StartWarm))]
    public void WarmUp() => _pooled.WarmUpAsync().GetAwaiter().GetResult();

    [Benchmark(Description = "start only: CreateWorkspaceAsync from the warm pool")]
    public async Task StartWarm() => _started = await _pooled.CreateWorkspaceAsync(Request("start-warm")).ConfigureAwait(false);

    [IterationCleanup(Targets = new[] { nameof(StartCold), nameof(StartWarm) })]
    public void DisposeStarted()
    {
        _started?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _started = null;
    }

    private static WorkspaceRequest Request(string taskId) =>
        new() { RunId = RunId, Task = new AgentTask { Id = taskId, Instructions = "benchmark" } };

    /// <summary>Writes <paramref name="files"/> source-like files of 1 to 4 KB in 40 folders and commits them on main.</summary>
    internal static void MakeRepository(string path, int files)
    {
        Directory.CreateDirectory(path);
        Git(path, "init", "-q", "-b", "main");
        var random = new Random(42);
        var line = new StringBuilder();
        for (int i = 0; i < files; i++)
        {
            string file = Path.Combine(path, "src", $"module{i % 40:D2}", $"file{i:D4}.cs");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            line.Clear();
            int size = random.Next(1024, 4096);
            for (int n = 0; line.Length < size; n++)
            {
                line.Append("    public int Value").Append(n).Append(" => ").Append(random.Next()).Append(";\n");
            }

            File.WriteAllText(file, line.ToString());
        }

        Git(path, "add", "-A");
        Git(path, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "2,000 files");
    }

    internal static void Git(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({process.ExitCode}): {output}");
        }
    }

    /// <summary>One operation per iteration (the start-only rows need a fresh state each time), 3 warm-up and 20
    /// measured iterations; a job given on the command line replaces this one.</summary>
    private sealed class Config : ManualConfig
    {
        public Config() =>
            AddJob(Job.Default.WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(3).WithIterationCount(20).AsDefault());
    }
}
