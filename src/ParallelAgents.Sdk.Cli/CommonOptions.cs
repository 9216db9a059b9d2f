using System.CommandLine;

namespace ParallelAgents.Sdk.Cli;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Write the result as JSON on standard output (messages go to standard error)." };

    public static Option<string?> Repository() => new("--repo") { Description = "The git repository (default: the one holding the task file, or the current folder's)." };

    public static Option<string> MainBranch() => new("--main")
    {
        Description = "The branch the work starts from and is merged into.",
        DefaultValueFactory = _ => "main",
    };

    public static Option<string?> Memory() => new("--memory")
    {
        Description = $"The shared memory file (default: {Paths.DefaultMemory} in the repository).",
    };
}
