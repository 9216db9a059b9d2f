using System.Diagnostics;
using System.Reflection;

namespace ParallelAgents.Sdk.Cli.Tests.TestSupport;

/// <summary>Runs the built parallel-agents tool as a process, as a user or a script would.</summary>
internal static class Tool
{
    /// <summary>Variables removed from the tool's environment, so that no test reaches a real model or another Docker.</summary>
    private static readonly string[] Cleared = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "AGENT_MODEL", "PARALLELAGENTS_MODEL", "DOCKER_HOST"];

    public static string Path { get; } = typeof(Tool).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ToolPath").Value!;

    public static ProcessStartInfo StartInfo(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        if (!File.Exists(Path))
        {
            throw new InvalidOperationException($"The tool is not built at {Path}; build the solution first.");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (string name in Cleared)
        {
            start.Environment.Remove(name);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return start;
    }

    public static Task<ToolResult> RunAsync(string workingDirectory, params string[] args) => RunAsync(workingDirectory, null, args);

    public static async Task<ToolResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using Process process = Process.Start(StartInfo(workingDirectory, environment, args))!;
        process.StandardInput.Close();
        return await CollectAsync(process).ConfigureAwait(false);
    }

    /// <summary>Runs the tool with <paramref name="input"/> on its standard input (then closed), as a person answering would.</summary>
    public static async Task<ToolResult> RunWithInputAsync(string workingDirectory, string input, params string[] args)
    {
        using Process process = Process.Start(StartInfo(workingDirectory, null, args))!;
        await process.StandardInput.WriteAsync(input).ConfigureAwait(false);
        process.StandardInput.Close();
        return await CollectAsync(process).ConfigureAwait(false);
    }

    public static async Task<ToolResult> CollectAsync(Process process)
    {
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new ToolResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }
}
