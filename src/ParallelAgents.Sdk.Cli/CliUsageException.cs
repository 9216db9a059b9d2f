namespace ParallelAgents.Sdk.Cli;

/// <summary>The command line asks for something that cannot be done as given (exit code 2); the message says what to change.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
