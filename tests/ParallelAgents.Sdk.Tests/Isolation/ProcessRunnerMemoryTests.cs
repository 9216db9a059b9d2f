using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Isolation;

/// <summary>Measures allocations process-wide, so nothing else may run meanwhile.</summary>
[Collection(SerialTests.Name)]
public sealed class ProcessRunnerMemoryTests
{
    [Fact]
    public async Task RunAsync_FiftyMegabytesOfOutput_KeepsMemoryBounded()
    {
        using var root = new TempFolder();
        const long Size = 50L * 1024 * 1024;
        var request = new CommandRequest { Command = $"head -c {Size} /dev/zero | tr '\\0' x; echo; echo last-line", MaxOutputChars = 10_000 };

        long before = GC.GetTotalAllocatedBytes(precise: true);
        CommandResult result = await ProcessRunner.RunAsync(request, root.Path, new(), TestContext.Current.CancellationToken);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.True(result.Succeeded);
        Assert.Equal(Size + "\nlast-line\n".Length - 10_000, result.OmittedChars);
        Assert.StartsWith(new string('x', 5_000) + "\n[... ", result.Output, StringComparison.Ordinal);
        Assert.EndsWith("xxx\nlast-line\n", result.Output, StringComparison.Ordinal);

        // Keeping the output would take 100 MB (UTF-16); the capture keeps 20 KB and reads through small buffers.
        Assert.True(allocated < 8 * 1024 * 1024, $"allocated {allocated:N0} bytes for 50 MB of output");
    }
}
