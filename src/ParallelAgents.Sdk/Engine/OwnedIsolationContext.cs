using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>What the builder knows when it makes an <see cref="OwnedIsolation"/> provider.</summary>
internal sealed class OwnedIsolationContext
{
    /// <summary>The repository given to <see cref="ParallelAgentsBuilder.UseRepository(string, string)"/>, or
    /// <see langword="null"/> when none was.</summary>
    public string? RepositoryPath { get; init; }

    /// <summary>The main branch given to <see cref="ParallelAgentsBuilder.UseRepository(string, string)"/>.</summary>
    public required string MainBranch { get; init; }

    public required ILoggerFactory LoggerFactory { get; init; }

    public required TimeProvider TimeProvider { get; init; }

    /// <summary>The options of the engine's own worktree provider, when
    /// <see cref="ParallelAgentsBuilder.UseWorktreeIsolation(Action{WorktreeIsolationOptions}?)"/> was called.</summary>
    public WorktreeIsolationOptions? WorktreeOptions { get; init; }

    /// <summary>The engine's own worktree provider; set only when <see cref="OwnedIsolation.Create"/> is called. A
    /// provider that makes worktrees of the same repository should use it, so that one gate guards the repository's
    /// worktree records.</summary>
    public WorktreeIsolationProvider? Worktrees { get; set; }
}
