using System.Diagnostics;
using System.Text;

namespace ParallelAgents.Sdk.Packaging.Tests;

/// <summary>Runs a program to its end and keeps its output, for the dotnet and git command lines these tests drive.</summary>
internal static class ProcessRun
{
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start.");
        process.StandardInput.Close();
        var output = new StringBuilder();
        var gate = new object();
        Task stdout = PumpAsync(process.StandardOutput, output, gate);
        Task stderr = PumpAsync(process.StandardError, output, gate);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', info.ArgumentList)} ran past {timeout}; output so far:\n{output}");
        }

        await Task.WhenAll(stdout, stderr);
        return (process.ExitCode, output.ToString());
    }

    public static async Task<string> RequireSuccessAsync(
        string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        string[] args = [.. arguments];
        (int exitCode, string output) = await RunAsync(fileName, args, workingDirectory, timeout, environment);
        return exitCode == 0
            ? output
            : throw new InvalidOperationException($"`{fileName} {string.Join(' ', args)}` in {workingDirectory} exited with {exitCode}:\n{output}");
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder output, object gate)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (gate)
            {
                output.AppendLine(line);
            }
        }
    }
}
