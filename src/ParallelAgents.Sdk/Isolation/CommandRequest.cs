namespace ParallelAgents.Sdk;

/// <summary>A command to run in a workspace (<see cref="IAgentWorkspace.ExecuteAsync"/>).</summary>
public sealed class CommandRequest
{
    /// <summary>The command line, run by the shell (<c>/bin/sh -c</c>; <c>cmd.exe /c</c> on Windows), such as <c>npm test</c>.</summary>
    public required string Command { get; init; }

    /// <summary>The folder to run in, relative to the workspace root; it must stay inside the workspace.</summary>
    /// <value>The default, <see langword="null"/>, is the workspace root.</value>
    public string? WorkingDirectory { get; init; }

    /// <summary>How long the command may run before its process tree is killed.</summary>
    /// <value>Positive, or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for none. The default is 10 minutes.</value>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The most characters of output kept; past it the head and the tail are kept and a note says how much
    /// was cut from the middle.</summary>
    /// <value>Zero or more. The default is 65,536.</value>
    public int MaxOutputChars { get; init; } = 65_536;

    /// <summary>Variables added to the command's environment (a <see langword="null"/> value removes one). Secrets are
    /// still removed unless named here explicitly.</summary>
    /// <value>The default is none.</value>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    // CancelAfter takes at most int.MaxValue - 1 milliseconds; a longer timeout is as good as none.
    private static readonly TimeSpan LongestTimeout = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    /// <summary>A token source that cancels when <see cref="Timeout"/> runs out, wherever the command runs (host or
    /// container); it never cancels for <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>.</summary>
    internal CancellationTokenSource StartTimeout()
    {
        var timeout = new CancellationTokenSource();
        if (Timeout != System.Threading.Timeout.InfiniteTimeSpan && Timeout < LongestTimeout)
        {
            timeout.CancelAfter(Timeout);
        }

        return timeout;
    }
}
