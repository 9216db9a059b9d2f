namespace ParallelAgents.Sdk;

/// <summary>How a command run in a workspace ended.</summary>
public sealed class CommandResult
{
    /// <summary>The command line that ran.</summary>
    public required string Command { get; init; }

    /// <summary>The process's exit code; -1 when it was killed (timeout or cancellation) or could not start.</summary>
    public int ExitCode { get; init; }

    /// <summary>Whether the command was killed because it ran past its <see cref="CommandRequest.Timeout"/>.</summary>
    public bool TimedOut { get; init; }

    /// <summary>Standard output and standard error, interleaved in the order they arrived, capped at
    /// <see cref="CommandRequest.MaxOutputChars"/> (head and tail kept, with a note of what was cut).</summary>
    public string Output { get; init; } = "";

    /// <summary>How many characters of output were cut from the middle; 0 when none were.</summary>
    public long OmittedChars { get; init; }

    /// <summary>How long the command ran.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Whether the command exited with 0 within its timeout.</summary>
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <inheritdoc/>
    public override string ToString() =>
        TimedOut ? $"'{Command}' timed out after {Duration}" : $"'{Command}' exited with {ExitCode} after {Duration}";
}
