namespace ParallelAgents.Sdk.Cli.Tests.TestSupport;

/// <summary>How a run of the tool ended: its exit code and everything it wrote.</summary>
internal sealed record ToolResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}
