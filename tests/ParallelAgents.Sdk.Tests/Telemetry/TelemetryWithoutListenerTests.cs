using System.Diagnostics;
using ParallelAgents.Sdk.Tests.TestSupport;
using static ParallelAgents.Sdk.Tests.TestSupport.Plans;

namespace ParallelAgents.Sdk.Tests.Telemetry;

/// <summary>A run nobody listens to makes no span. Alone in the process, so that no other test's listener is attached.</summary>
[Collection(SerialTests.Name)]
public class TelemetryWithoutListenerTests
{
    [Fact]
    public async Task RunAsync_NothingListens_CreatesNoActivity()
    {
        Assert.False(ParallelAgentsTelemetry.Source.HasListeners(), "no listener is attached while the serial tests run");
        int made = 0;
        void OnCurrentChanged(object? sender, ActivityChangedEventArgs e)
        {
            if (e.Current?.Source.Name == ParallelAgentsTelemetry.ActivitySourceName)
            {
                Interlocked.Increment(ref made);
            }
        }

        Activity.CurrentChanged += OnCurrentChanged;
        try
        {
            var seen = new List<Activity?>();
            await using AgentEngine engine = new ParallelAgentsBuilder()
                .UseAgent((context, _) =>
                {
                    lock (seen)
                    {
                        seen.Add(Activity.Current);
                    }

                    context.Progress.Report(AgentProgress.ModelCall(10, 5, 0.1m, TimeSpan.FromSeconds(1)));
                    context.Progress.Report(AgentProgress.ToolCall("read_file", succeeded: true, TimeSpan.FromSeconds(1)));
                    context.Progress.Report(AgentProgress.CommandRun("dotnet test", succeeded: false, TimeSpan.FromSeconds(1)));
                    return ValueTask.FromResult(context.Task.Id == "b" ? AgentOutcome.Failure("no") : AgentOutcome.Success());
                })
                .Build();

            RunResult result = await engine.RunAsync(Of(Work("a"), Work("b"), Work("c", "b")), TestContext.Current.CancellationToken);

            Assert.Equal(TaskState.Skipped, result["c"].State);
            Assert.Equal(2, seen.Count);
            Assert.All(seen, Assert.Null);
            Assert.Equal(0, made);
        }
        finally
        {
            Activity.CurrentChanged -= OnCurrentChanged;
        }
    }
}
