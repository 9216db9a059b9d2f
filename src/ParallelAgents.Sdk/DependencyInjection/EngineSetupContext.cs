namespace ParallelAgents.Sdk;

/// <summary>What a registered <see cref="EngineStep"/> works with while the engine is made.</summary>
internal sealed class EngineSetupContext(IServiceProvider services, ParallelAgentsBuilder builder, ParallelAgentsOptions options, List<string> problems)
{
    public IServiceProvider Services { get; } = services;

    public ParallelAgentsBuilder Builder { get; } = builder;

    public ParallelAgentsOptions Options { get; } = options;

    /// <summary>Problems found so far; they are all reported together when the engine is built.</summary>
    public List<string> Problems { get; } = problems;

    /// <summary>Whether a step asked for a particular agent, so the container's default chat client must not stand in.</summary>
    public bool AgentRequested { get; set; }

    /// <summary>The worktree settings the options give, applied before the caller's own changes.</summary>
    public Action<WorktreeIsolationOptions> Worktrees(Action<WorktreeIsolationOptions>? configure) => o =>
    {
        o.BranchPrefix = Options.BranchPrefix;
        o.WorktreesDirectory = Options.WorktreesDirectory;
        configure?.Invoke(o);
    };

    /// <summary>The caller's chat-client agent settings, then the model of the options unless those named one.</summary>
    public Action<ChatClientAgentOptions> ChatClientAgent(Action<ChatClientAgentOptions>? configure) => o =>
    {
        configure?.Invoke(o);
        if (Options.Model is { } model)
        {
            o.ChatOptions ??= new Microsoft.Extensions.AI.ChatOptions();
            o.ChatOptions.ModelId ??= model;
        }
    };
}
