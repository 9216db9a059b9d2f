using System.Globalization;
using BenchmarkDotNet.Running;
using ParallelAgents.Sdk.Benchmarks;

const string Usage = """
    usage: ParallelAgents.Sdk.Benchmarks <dispatch|dispatch-paired|dispatch-floor|load|makespan|memory|forecast|merge|worktree|worktree-paired|container|redaction> [options]
      dispatch [BenchmarkDotNet options]   engine dispatch overhead vs Parallel.ForEachAsync by level
                                           (e.g. --filter *Engine*, --job short, --list flat)
      dispatch-paired [--rounds N] [--runs N] [--workers N]...
                                           the same ratio measured in back-to-back blocks (median of the rounds)
      dispatch-floor [--rounds N] [--runs N] [--workers N]...
                                           the baseline and the engine beside two minimal executors: what any
                                           executor keeping the engine's per-task contract pays on this machine
      load [--runs N] [--tasks N] [--workers N]
                                           memory per agent running at once (100 and 1,000 parked agents) and
                                           CPU time per task over a run of 1,000 tasks
      makespan [--runs N] [--tasks N] [--workers N] [--seed N] [--window N] [--calibration N]
                                           makespan of simulated-latency tasks vs the lower bound
      memory [BenchmarkDotNet options]     shared memory stores vs ConcurrentDictionary, a locked Dictionary and
                                           rewriting a JSON file per update (every class named *Memory*)
      forecast [BenchmarkDotNet options]   conflict forecasting of 4 simultaneous commits: pooled repository
                                           handles vs a handle per commit vs one handle behind a lock
      merge [--files N] [--iterations N]   the engine's in-memory merge check vs git merge-tree --write-tree as a
                                           process, on loose and on packed objects (target: at most 1.0 x)
      worktree [BenchmarkDotNet options]   worktree creation on a 2,000-file repository vs git worktree add/remove
                                           as processes, and the warm pool's hand-out
      worktree-paired [--rounds N]         the same ratio measured in back-to-back pairs (median of the pairs)
      container [--image TAG] [--start-runs N] [--exec-runs N]
                                           container provider vs the docker CLI on the same engine: a workspace
                                           with one command vs docker run --rm, a command vs docker exec
      redaction [BenchmarkDotNet options]  the engine's redactor vs configured secrets alone, and a log call through
                                           the redacting logger vs the plain one (level on and off)
    """;

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

// Figures print the same on every machine.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string[] rest = args[1..];
switch (args[0].ToLowerInvariant())
{
    case "dispatch":
        // Without a filter BenchmarkSwitcher would ask which benchmark to run; this project has one class.
        string[] switcherArgs = rest.Any(a => a is "--filter" or "-f" or "--list" or "--info") ? rest : [.. rest, "--filter", "*"];
        BenchmarkSwitcher.FromTypes([typeof(DispatchBenchmarks)]).Run(switcherArgs);
        return 0;
    case "dispatch-paired":
        return await DispatchPairedHarness.RunAsync(rest);
    case "dispatch-floor":
        return await DispatchFloorHarness.RunAsync(rest);
    case "load":
        return await LoadHarness.RunAsync(rest);
    case "memory":
        string[] memoryArgs = rest.Any(a => a is "--filter" or "-f" or "--list" or "--info") ? rest : [.. rest, "--filter", "*Memory*"];
        BenchmarkSwitcher.FromAssembly(typeof(DispatchBenchmarks).Assembly).Run(memoryArgs);
        return 0;
    case "forecast":
        string[] forecastArgs = rest.Any(a => a is "--filter" or "-f" or "--list" or "--info") ? rest : [.. rest, "--filter", "*Forecast*"];
        BenchmarkSwitcher.FromTypes([typeof(ForecastBenchmarks)]).Run(forecastArgs);
        return 0;
    case "merge":
        return MergeBenchmarks.Run(rest);
    case "worktree":
        string[] worktreeArgs = rest.Any(a => a is "--filter" or "-f" or "--list" or "--info") ? rest : [.. rest, "--filter", "*WorktreeBenchmarks*"];
        BenchmarkSwitcher.FromTypes([typeof(WorktreeBenchmarks)]).Run(worktreeArgs);
        return 0;
    case "worktree-paired":
        return await WorktreePairedHarness.RunAsync(rest);
    case "makespan":
        return await MakespanHarness.RunAsync(rest);
    case "container":
        return await ContainerHarness.RunAsync(rest);
    case "redaction":
        string[] redactionArgs = rest.Any(a => a is "--filter" or "-f" or "--list" or "--info") ? rest : [.. rest, "--filter", "*Redaction*"];
        BenchmarkSwitcher.FromTypes([typeof(RedactionBenchmarks)]).Run(redactionArgs);
        return 0;
    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'");
        Console.Error.WriteLine(Usage);
        return 2;
}
