namespace ParallelAgents.Sdk.Cli;

/// <summary>An engine built for one command, with what it owns: the shared memory and the chat client.</summary>
internal sealed class EngineSession(AgentEngine engine, FileSharedMemory memory, IDisposable? chatClient, string agentLine, string memoryPath, string isolation) : IAsyncDisposable
{
    public AgentEngine Engine { get; } = engine;

    /// <summary>Which agent works, for the command's header.</summary>
    public string AgentLine { get; } = agentLine;

    public string MemoryPath { get; } = memoryPath;

    public string Isolation { get; } = isolation;

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync().ConfigureAwait(false);
        await memory.DisposeAsync().ConfigureAwait(false);
        chatClient?.Dispose();
    }
}
