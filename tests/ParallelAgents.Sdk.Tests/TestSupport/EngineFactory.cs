using Microsoft.Extensions.Time.Testing;

namespace ParallelAgents.Sdk.Tests.TestSupport;

internal static class EngineFactory
{
    public static AgentEngine Create(
        Func<AgentContext, CancellationToken, ValueTask<AgentOutcome>> agent,
        int maxParallelAgents = 4,
        TimeProvider? timeProvider = null,
        Action<AgentEngineOptions>? configure = null) =>
        new ParallelAgentsBuilder()
            .UseAgent(agent)
            .WithMaxParallelAgents(maxParallelAgents)
            .WithRetry(r => { r.BaseDelay = TimeSpan.Zero; r.MaxDelay = TimeSpan.Zero; })
            .Configure(configure ?? (_ => { }))
            .UseTimeProvider(timeProvider ?? TimeProvider.System)
            .Build();

    public static FakeTimeProvider FakeTime() => new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Reads events until one matches, so tests wait on what happened instead of sleeping.</summary>
    public static async Task<AgentEvent> WaitForAsync(this IAsyncEnumerator<AgentEvent> events, Func<AgentEvent, bool> match)
    {
        while (await events.MoveNextAsync())
        {
            if (match(events.Current))
            {
                return events.Current;
            }
        }

        throw new InvalidOperationException("The event stream ended before the awaited event.");
    }
}
