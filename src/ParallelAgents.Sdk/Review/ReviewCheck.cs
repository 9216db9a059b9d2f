namespace ParallelAgents.Sdk;

/// <summary>One of the task's <c>checks</c> run on the reviewed commit, in the task's workspace, before the review.</summary>
/// <param name="Command">The check's command line.</param>
/// <param name="Succeeded">Whether it exited with 0 within its time.</param>
/// <param name="ExitCode">Its exit code (-1 when it timed out or could not start).</param>
/// <param name="Output">What it printed (standard output and error together, the tail kept when long), with secrets
/// redacted.</param>
public sealed record ReviewCheck(string Command, bool Succeeded, int ExitCode, string Output);
