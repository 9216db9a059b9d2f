namespace ParallelAgents.Sdk.Cli;

/// <summary>What the tool's exit code says, for scripts.</summary>
internal static class ExitCodes
{
    /// <summary>Done: the command did what it was asked; for <c>run</c>, every task succeeded and reached main.</summary>
    public const int Success = 0;

    /// <summary>The run ended with tasks that failed, were skipped or did not merge; or the command failed.</summary>
    public const int Failed = 1;

    /// <summary>Invalid input: an unknown command or option, a task file with problems, a folder that is not a git
    /// repository, a bad option value.</summary>
    public const int InvalidInput = 2;

    /// <summary>Something the command needs from its environment is missing: Docker does not answer, no model is
    /// configured, the shared memory is held by a running process.</summary>
    public const int EnvironmentMissing = 3;

    /// <summary>Cancelled with Ctrl+C or SIGTERM (128 + SIGINT's 2, as shells report it).</summary>
    public const int Cancelled = 130;
}
