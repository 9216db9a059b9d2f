using System.Diagnostics;
using System.Globalization;

namespace ParallelAgents.Sdk.Benchmarks;

/// <summary>
/// The worktree ratio measured in pairs: each round runs <c>git worktree add -B</c> + <c>git worktree remove</c> and the
/// provider's create + dispose back to back (alternating which goes first), and the figure is the median of the rounds'
/// ratios. On a shared machine whose load swings from second to second this is steadier than timing each side in its
/// own block, as BenchmarkDotNet does; run both.
/// </summary>
internal static class WorktreePairedHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = args.Length >= 2 && args[0] == "--rounds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15;
        string folder = Path.Combine(Path.GetTempPath(), "pa-worktree-paired-" + Guid.NewGuid().ToString("N"));
        string repository = Path.Combine(folder, "repo");
        string cliWorktree = Path.Combine(folder, "cli-worktree");
        try
        {
            WorktreeBenchmarks.MakeRepository(repository, 2_000);
            await using var provider = new WorktreeIsolationProvider(new WorktreeIsolationOptions { RepositoryPath = repository });
            var request = new WorkspaceRequest { RunId = "paired", Task = new AgentTask { Id = "paired", Instructions = "benchmark" } };
            var cli = new List<double>();
            var sdk = new List<double>();
            for (int round = -2; round < rounds; round++)
            {
                double cliMs = 0, sdkMs = 0;
                for (int side = 0; side < 2; side++)
                {
                    var clock = Stopwatch.StartNew();
                    if ((side + round) % 2 == 0)
                    {
                        WorktreeBenchmarks.Git(repository, "worktree", "add", "-q", "-B", "bench/cli", cliWorktree, "main");
                        WorktreeBenchmarks.Git(repository, "worktree", "remove", cliWorktree);
                        cliMs = clock.Elapsed.TotalMilliseconds;
                    }
                    else
                    {
                        IAgentWorkspace workspace = await provider.CreateWorkspaceAsync(request).ConfigureAwait(false);
                        await workspace.DisposeAsync().ConfigureAwait(false);
                        sdkMs = clock.Elapsed.TotalMilliseconds;
                    }
                }

                // The first two rounds warm up the JIT, libgit2 and the page cache.
                if (round >= 0)
                {
                    cli.Add(cliMs);
                    sdk.Add(sdkMs);
                }
            }

            double[] ratios = [.. sdk.Zip(cli, (s, c) => s / c).Order()];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{rounds} rounds on 2,000 files: git CLI add+remove median {Median(cli):F1} ms, provider create+dispose median {Median(sdk):F1} ms"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratio provider / CLI: median {Median(ratios):F3} (rounds from {ratios[0]:F3} to {ratios[^1]:F3}); target at most 1.0"));
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
