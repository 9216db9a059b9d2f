namespace ParallelAgents.Sdk;

/// <summary>What an <see cref="AgentProgress"/> report says an agent did.</summary>
public enum AgentProgressKind
{
    /// <summary>The agent called its model once; <see cref="AgentProgress.InputTokens"/>, <see cref="AgentProgress.OutputTokens"/>
    /// and <see cref="AgentProgress.Cost"/> say what that call used.</summary>
    ModelCall = 0,

    /// <summary>The agent called a tool; <see cref="AgentProgress.Name"/> names it.</summary>
    ToolCall = 1,

    /// <summary>The agent wrote, created or deleted a file; <see cref="AgentProgress.Path"/> is its workspace-relative path.</summary>
    FileChanged = 2,

    /// <summary>The agent ran a command in its workspace; <see cref="AgentProgress.Name"/> is the command line.</summary>
    CommandRun = 3,

    /// <summary>Anything else worth showing; <see cref="AgentProgress.Message"/> says what.</summary>
    Note = 4,
}
