using System.Diagnostics;
using System.Text;
using LibGit2Sharp;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// The engine's in-memory merge check (<c>InMemoryMerge.Check</c>: libgit2's merge plus the directory rename rule,
/// on an open repository, as <see cref="BranchMerger"/> runs it) against <c>git merge-tree --write-tree</c> run as a
/// process, the cheapest way to ask git the same question. Both run on the same repository, first with every object
/// loose (as agents' fresh commits are), then packed (after <c>git repack -ad</c>), for a clean and a conflicted
/// merge. Not BenchmarkDotNet: the baseline is a process, and the figure of merit is the ratio of medians.
/// </summary>
internal static class MergeBenchmarks
{
    private const double Target = 1.0;

    public static int Run(string[] args)
    {
        int files = Option(args, "--files", 2_000);
        int iterations = Option(args, "--iterations", 60);
        string folder = Path.Combine(Path.GetTempPath(), "pa-merge-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            Print($"repository: {files} files of 40 lines in {files / 20} folders; each side changes 25 files, adds 5, deletes 2, renames 2; {iterations} measured runs after 5 warm-ups");
            MakeRepository(folder, files);
            bool ok = true;
            foreach (string layout in new[] { "loose", "packed" })
            {
                if (layout == "packed")
                {
                    Git(folder, "repack", "-adq");
                    Git(folder, "prune-packed");
                }

                Print($"objects {layout}: {Git(folder, "count-objects", "-v").Replace('\n', ' ')}");
                foreach (string theirs in new[] { "agent/clean", "agent/conflict" })
                {
                    ok &= Measure(folder, layout, theirs, iterations);
                }
            }

            return ok ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static bool Measure(string folder, string layout, string branch, int iterations)
    {
        bool ok = true;
        foreach (bool cold in new[] { false, true })
        {
            using var repository = new Repository(folder);
            Commit ours = repository.Branches["main"].Tip;
            Commit theirs = repository.Branches[branch].Tip;
            Commit? @base = repository.ObjectDatabase.FindMergeBase(ours, theirs);
            bool engineClean = false, gitClean = false;

            // Interleaved, one of each per round, so that a burst of load on a shared machine hits both sides alike.
            // Warm: the merger keeps its repository open for a run, so libgit2's object cache holds what earlier merges
            // read. Cold: a repository opened for each check, as for the first merge of a run.
            (double[] engine, double[] git) = TimeInterleaved(
                iterations,
                () =>
                {
                    if (cold)
                    {
                        using var fresh = new Repository(folder);
                        (Tree? coldTree, _, _) = InMemoryMerge.Check(fresh, fresh.Lookup<Commit>(ours.Id), fresh.Lookup<Commit>(theirs.Id), fresh.Lookup<Commit>(@base!.Id));
                        engineClean = coldTree is not null;
                        return;
                    }

                    (Tree? tree, _, _) = InMemoryMerge.Check(repository, ours, theirs, @base);
                    engineClean = tree is not null;
                },
                () => gitClean = RunGit(folder, "merge-tree", "--write-tree", "main", branch).Exit == 0);
            if (engineClean != gitClean)
            {
                throw new InvalidOperationException($"{branch}: the engine says {(engineClean ? "clean" : "conflict")}, git says {(gitClean ? "clean" : "conflict")}");
            }

            double ratio = Median(engine) / Median(git);
            Print($"{layout,-6} {(cold ? "cold" : "warm"),-4} {branch,-15} ({(gitClean ? "clean" : "conflict")}): engine median {Median(engine):F2} ms (p90 {P90(engine):F2}), " +
                $"git merge-tree median {Median(git):F2} ms (p90 {P90(git):F2}) -> {ratio:F2} x {(ratio <= Target ? "(target met)" : $"(target {Target:F1} x missed)")}");
            ok &= ratio <= Target;
        }

        return ok;
    }

    private static (double[] First, double[] Second) TimeInterleaved(int iterations, Action first, Action second)
    {
        for (int i = 0; i < 5; i++)
        {
            first();
            second();
        }

        double[] a = new double[iterations], b = new double[iterations];
        for (int i = 0; i < iterations; i++)
        {
            long start = Stopwatch.GetTimestamp();
            first();
            a[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            start = Stopwatch.GetTimestamp();
            second();
            b[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(a);
        Array.Sort(b);
        return (a, b);
    }

    private static double Median(double[] sorted) => sorted[sorted.Length / 2];

    private static double P90(double[] sorted) => sorted[(int)(sorted.Length * 0.9)];

    private static void MakeRepository(string folder, int files)
    {
        var random = new Random(42);
        Git(folder, "init", "-q", "-b", "main");
        Git(folder, "config", "user.name", "Bench");
        Git(folder, "config", "user.email", "bench@example.invalid");
        Git(folder, "config", "gc.auto", "0");
        var paths = new List<string>();
        for (int i = 0; i < files; i++)
        {
            string path = $"src/module{i / 20:D3}/file{i:D4}.txt";
            paths.Add(path);
            Write(folder, path, string.Concat(Enumerable.Range(0, 40).Select(l => $"line {l} of {path}: {random.Next()}\n")));
        }

        Commit(folder, "base");
        Side(folder, "agent/clean", paths, random, offset: 0, conflictWith: null);
        Side(folder, "main", paths, random, offset: 1000, conflictWith: null);
        Side(folder, "agent/conflict", paths, random, offset: 1000, conflictWith: "main");
    }

    /// <summary>Changes 25 files, adds 5, deletes 2 and renames 2 on <paramref name="branch"/>, starting from the base
    /// commit; with <paramref name="conflictWith"/>, the same files as that branch, differently.</summary>
    private static void Side(string folder, string branch, List<string> paths, Random random, int offset, string? conflictWith)
    {
        string baseCommit = Git(folder, "rev-list", "--max-parents=0", "HEAD").Trim();
        Git(folder, "checkout", "-q", "-B", branch == "main" ? "main" : branch, branch == "main" ? "main" : baseCommit);
        for (int i = 0; i < 25; i++)
        {
            string path = paths[offset + (i * 7)];
            string[] lines = File.ReadAllLines(Path.Combine(folder, path));
            lines[random.Next(lines.Length)] = $"changed on {branch} {random.Next()}";
            File.WriteAllLines(Path.Combine(folder, path), lines);
        }

        for (int i = 0; i < 5; i++)
        {
            Write(folder, $"src/new-{branch.Replace('/', '-')}/{i}.txt", $"added on {branch}\n");
        }

        File.Delete(Path.Combine(folder, paths[offset + 301]));
        File.Delete(Path.Combine(folder, paths[offset + 302 + (conflictWith is null ? 0 : 1)]));
        for (int i = 0; i < 2; i++)
        {
            string from = paths[offset + 401 + i + (conflictWith is null ? 0 : 10)];
            File.Move(Path.Combine(folder, from), Path.Combine(folder, from + $".{branch.Replace('/', '-')}.moved"));
        }

        Commit(folder, $"work on {branch}");
        Git(folder, "checkout", "-q", "main");
    }

    private static void Write(string folder, string path, string content)
    {
        string full = Path.Combine(folder, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content, new UTF8Encoding(false));
    }

    private static void Commit(string folder, string message)
    {
        Git(folder, "add", "-A");
        Git(folder, "commit", "-q", "-m", message);
    }

    private static string Git(string folder, params string[] args)
    {
        (int exit, string output) = RunGit(folder, args);
        return exit == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', args)} exited with {exit}: {output}");
    }

    private static (int Exit, string Output) RunGit(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    private static void Print(string line) => Console.WriteLine(line);
}
