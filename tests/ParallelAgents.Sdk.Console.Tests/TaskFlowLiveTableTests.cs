using System.Text.RegularExpressions;
using Spectre.Console.Testing;
using TaskFlow;

namespace ParallelAgents.Sdk.Console.Tests;

public sealed class TaskFlowLiveTableTests
{
    [Fact]
    public async Task RunAsync_OfflineOnATerminal_ShowsTheRunAsALiveTableInsteadOfLogLines()
    {
        DirectoryInfo folder = Directory.CreateTempSubdirectory("taskflow-live-");
        try
        {
            var console = new TestConsole().Width(200).Interactive().EmitAnsiSequences();
            console.Profile.Capabilities.Ansi = true;
            var output = new StringWriter();

            int exit = await TaskFlowApp.RunAsync(["--offline", "--repo", Path.Combine(folder.FullName, "taskflow")], TextWriter.Synchronized(output), console, TestContext.Current.CancellationToken);

            Assert.True(exit == 0, output.ToString());
            string table = Regex.Replace(console.Output, @"\x1b\[[0-9;?]*[A-Za-z]", "");
            string last = table[table.LastIndexOf("4/4 done", StringComparison.Ordinal)..];
            foreach (string task in new[] { "database-schema", "frontend-components", "backend-api", "test-suite" })
            {
                Assert.Matches($@"{task}\s+│ Succeeded", last);
            }

            // The replayed model calls reached the table as the agents' progress.
            Assert.Contains("Tokens", last);
            Assert.Contains("Merges", last);
            // The log keeps its header and summary; the event lines are the table's now.
            string log = output.ToString();
            Assert.Contains("Tasks (* = includes its re-run", log);
            Assert.DoesNotContain("started (attempt 1)", log);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
