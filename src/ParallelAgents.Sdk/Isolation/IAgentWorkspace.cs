namespace ParallelAgents.Sdk;

/// <summary>The isolated place where one attempt of a task does its work.</summary>
/// <remarks>Disposing the workspace cleans up what the provider made for it; it must not lose committed work.</remarks>
public interface IAgentWorkspace : IAsyncDisposable
{
    /// <summary>The task the workspace belongs to.</summary>
    string TaskId { get; }

    /// <summary>The full path of the workspace's files on the host.</summary>
    string RootPath { get; }
}
