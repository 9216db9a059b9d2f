namespace ParallelAgents.Sdk.Cli;

/// <summary>Something the command needs from its environment is missing (exit code 3); the message says what to set up.</summary>
internal sealed class CliEnvironmentException(string message) : Exception(message);
