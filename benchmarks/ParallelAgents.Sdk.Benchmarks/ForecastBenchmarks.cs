using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using LibGit2Sharp;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// Four agents commit at once and each commit is merged in memory against main and the three other branches: the
/// forecaster's pool of repository handles against opening a handle per commit and against one handle behind a lock
/// (libgit2 handles are not thread-safe, so those are the three options).
/// </summary>
[MemoryDiagnoser]
public class ForecastBenchmarks : IDisposable
{
    private const int Agents = 4;
    private readonly object _gate = new();
    private string _path = "";
    private string[] _tips = [];
    private Repository? _shared;
    private ScratchObjectBackend? _sharedScratch;
    private ConflictForecaster? _forecaster;

    /// <summary>Files in the repository.</summary>
    [Params(300)]
    public int Files { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _path = Directory.CreateTempSubdirectory("pa-forecast-bench-").FullName;
        Git("init", "-q", "-b", "main");
        Git("config", "gc.auto", "0");
        for (int f = 0; f < Files; f++)
        {
            Directory.CreateDirectory(Path.Combine(_path, $"src/m{f % 10}"));
            File.WriteAllText(Path.Combine(_path, $"src/m{f % 10}/file{f}.txt"), string.Concat(Enumerable.Range(1, 50).Select(i => $"file {f} line {i}\n")));
        }

        Commit("initial");
        _tips = new string[Agents];
        for (int a = 0; a < Agents; a++)
        {
            Git("switch", "-q", "-c", $"agent/t{a}", "main");
            // Each agent edits its own 20 files, plus line 10 of file 0, which all of them change (a conflict per pair).
            for (int f = 1 + (a * 20); f <= 20 + (a * 20); f++)
            {
                Edit(f, 25, $"agent {a}");
            }

            Edit(0, 10, $"agent {a}");
            _tips[a] = Commit($"agent {a}");
        }

        Git("switch", "-q", "main");
        Edit(Files - 1, 5, "main");
        Commit("main moves");

        _shared = new Repository(_path);
        _sharedScratch = new ScratchObjectBackend();
        _shared.ObjectDatabase.AddBackend(_sharedScratch, ScratchObjectBackend.Priority);
        _forecaster = new ConflictForecaster(_path, "main");
        for (int a = 0; a < Agents; a++)
        {
            _forecaster.TrackBranch($"t{a}", $"agent/t{a}");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _forecaster?.Dispose();
        _forecaster = null;
        _shared?.Dispose();
        _shared = null;
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, Description = "open a handle per commit")]
    public int OpenPerCommit() => Parallel(a =>
    {
        using var repository = new Repository(_path);
        var scratch = new ScratchObjectBackend();
        repository.ObjectDatabase.AddBackend(scratch, ScratchObjectBackend.Priority);
        return MergeAll(repository, scratch, a);
    });

    [Benchmark(Description = "one handle behind a lock")]
    public int OneLockedHandle() => Parallel(a =>
    {
        lock (_gate)
        {
            return MergeAll(_shared!, _sharedScratch!, a);
        }
    });

    [Benchmark(Description = "ConflictForecaster (pooled handles)")]
    public int Forecaster() => Parallel(a => _forecaster!.OnCommitAsync($"t{a}", _tips[a]).AsTask().GetAwaiter().GetResult().Count);

    private static int Parallel(Func<int, int> agent)
    {
        var work = new Task<int>[Agents];
        for (int a = 0; a < Agents; a++)
        {
            int index = a;
            work[a] = Task.Run(() => agent(index));
        }

        return Task.WhenAll(work).GetAwaiter().GetResult().Sum();
    }

    private int MergeAll(Repository repository, ScratchObjectBackend scratch, int agent)
    {
        Commit ours = repository.Lookup<Commit>(_tips[agent]);
        int conflicts = 0;
        foreach (string branch in new[] { "main" }.Concat(Enumerable.Range(0, Agents).Where(o => o != agent).Select(o => $"agent/t{o}")))
        {
            var theirs = (Commit)repository.Refs["refs/heads/" + branch]!.ResolveToDirectReference().Target;
            MergeTreeResult merge = repository.ObjectDatabase.MergeCommits(ours, theirs, new MergeTreeOptions());
            if (merge.Status == MergeTreeStatus.Conflicts)
            {
                conflicts += merge.Conflicts.Select(c => MergeConflictReader.Read(repository, c)).Count();
            }

            scratch.Clear();
        }

        return conflicts;
    }

    private void Edit(int file, int line, string who)
    {
        string path = Path.Combine(_path, $"src/m{file % 10}/file{file}.txt");
        string[] lines = File.ReadAllLines(path);
        lines[line - 1] = $"{who} changed line {line}";
        File.WriteAllLines(path, lines);
    }

    private string Commit(string message)
    {
        Git("add", "-A");
        Git("-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", message);
        return Git("rev-parse", "HEAD").Trim();
    }

    private string Git(params string[] arguments)
    {
        using Process git = Process.Start(new ProcessStartInfo("git", arguments) { WorkingDirectory = _path, RedirectStandardOutput = true })!;
        string output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        return git.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed");
    }
}
