using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ParallelAgents.Sdk;

/// <summary>
/// Runs a command through the shell on the host for workspaces and the merge engine's verify step: sandboxed working
/// folder, no secrets in its environment, stdin closed, output capped in bounded memory, and its whole process tree
/// killed on timeout or cancellation.
/// </summary>
internal static class ProcessRunner
{
    /// <summary>Marks every process a command starts (children inherit it), so that stragglers can be found.</summary>
    internal const string CommandIdVariable = "PARALLELAGENTS_COMMAND_ID";

    /// <summary>How long to wait for the output pipes to close after the command and its stragglers are gone.</summary>
    private static readonly TimeSpan PipeGrace = TimeSpan.FromSeconds(5);

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>util-linux's setsid, when the host has it: the command gets a session of its own.</summary>
    private static readonly string? SetsidPath =
        OperatingSystem.IsLinux() ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists) : null;

    /// <summary>Runs <paramref name="request"/> in the workspace whose root is <paramref name="workingDirectory"/>.</summary>
    /// <param name="request">The command; its <see cref="CommandRequest.WorkingDirectory"/> is resolved inside the
    /// workspace with the rules of <see cref="WorkspaceFiles"/>.</param>
    /// <param name="workingDirectory">The workspace root.</param>
    /// <param name="environment">Which variables are secrets and which every command gets.</param>
    /// <param name="cancellationToken">Kills the command's process tree, then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>How the command ended. A command that fails, times out or cannot start is reported in the result
    /// (exit code -1 when it was killed or could not start).</returns>
    /// <exception cref="WorkspacePathException">The working folder leads outside the workspace or into <c>.git</c>.</exception>
    internal static Task<CommandResult> RunAsync(CommandRequest request, string workingDirectory, CommandEnvironmentOptions environment, CancellationToken cancellationToken) =>
        RunAsync(request, workingDirectory, environment, shell: null, cancellationToken);

    /// <summary>As the other overload, with the shell to use (tests use it to make a shell that cannot start).</summary>
    internal static async Task<CommandResult> RunAsync(
        CommandRequest request, string workingDirectory, CommandEnvironmentOptions environment, string? shell, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(workingDirectory);
        ArgumentNullException.ThrowIfNull(environment);
        Check(request);
        cancellationToken.ThrowIfCancellationRequested();

        string folder = new WorkspaceFiles(workingDirectory).ResolveDirectory(request.WorkingDirectory).FullPath;
        if (!Directory.Exists(folder))
        {
            return NotStarted(request, $"could not start: the working folder '{request.WorkingDirectory}' does not exist in the workspace; create it first or run from the workspace root.");
        }

        if (shell is not null && Path.IsPathRooted(shell) && !File.Exists(shell))
        {
            return NotStarted(request, $"could not start the shell '{shell}': no such file. Check that the shell exists.");
        }

        string commandId = Guid.NewGuid().ToString("N");
        ProcessStartInfo start = StartInfo(request, folder, environment, shell, commandId);
        using var process = new Process { StartInfo = start };
        var clock = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return NotStarted(request, $"could not start the shell '{start.FileName}' in '{folder}': {e.Message}. Check that the shell exists and the folder can be entered.");
        }

        // Closed at once: a command that reads its input gets end-of-file instead of waiting forever.
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command already exited and closed its end.
        }

        var capture = new OutputCapture(request.MaxOutputChars);
        Task pumps = Task.WhenAll(PumpAsync(process.StandardOutput, capture), PumpAsync(process.StandardError, capture));

        using CancellationTokenSource timeout = request.StartTimeout();

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        bool killed = false;
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            killed = true;
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        TimeSpan duration = clock.Elapsed;

        // Children that outlived the shell (a command ending in `server &`) were re-parented away from its tree; the
        // session and the marker in their environment find them. Their end also closes the output pipes they hold.
        KillStragglers(commandId, start.FileName == SetsidPath ? process.Id : 0);
        using var grace = new CancellationTokenSource();
        bool pipesClosed = await Task.WhenAny(pumps, Task.Delay(PipeGrace, grace.Token)).ConfigureAwait(false) == pumps;
        await grace.CancelAsync().ConfigureAwait(false);

        if (killed && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"The command '{request.Command}' was cancelled; its processes were killed.", cancellationToken);
        }

        return capture.ToResult(request, killed ? -1 : process.ExitCode, killed, pipesClosed, duration);
    }

    internal static void Check(CommandRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Command))
        {
            throw new ArgumentException("The command is empty; give a command line such as 'npm test'.", nameof(request));
        }

        if (request.Command.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The command contains a NUL character, which no shell accepts; remove it.", nameof(request));
        }

        if (request.Timeout <= TimeSpan.Zero && request.Timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Timeout, "The command's Timeout must be positive (or Timeout.InfiniteTimeSpan for none).");
        }

        if (request.MaxOutputChars < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.MaxOutputChars, "The command's MaxOutputChars must be zero or more.");
        }

        if (request.Environment is not null)
        {
            foreach ((string name, string? value) in request.Environment)
            {
                if (!CommandEnvironmentOptions.IsValidName(name))
                {
                    throw new ArgumentException($"The command's environment has the name '{name}', which is not a variable name (it is empty or holds '=' or NUL).", nameof(request));
                }

                if (value is not null && value.Contains('\0', StringComparison.Ordinal))
                {
                    throw new ArgumentException($"The command's environment variable '{name}' holds a NUL character; remove it.", nameof(request));
                }
            }
        }
    }

    private static ProcessStartInfo StartInfo(CommandRequest request, string folder, CommandEnvironmentOptions environment, string? shell, string commandId)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            WorkingDirectory = folder,
            StandardOutputEncoding = Utf8NoBom,
            StandardErrorEncoding = Utf8NoBom,
        };

        if (OperatingSystem.IsWindows())
        {
            start.FileName = shell ?? Environment.GetEnvironmentVariable("ComSpec") ?? "cmd.exe";

            // /s keeps the quotes around the command as they are; /d skips AutoRun macros.
            start.Arguments = $"/d /s /c \"{request.Command}\"";
        }
        else
        {
            // The outer shell points stderr at the stdout pipe and hands over to the inner one, which runs the command
            // as given: one pipe, so the two streams interleave exactly as written.
            string sh = shell ?? "/bin/sh";

            // In a session of its own the command has no terminal, so nothing it runs (git, ssh, sudo) can stop to
            // ask the user for a password, and every process it leaves behind can be found by its session id.
            if (SetsidPath is not null)
            {
                start.FileName = SetsidPath;
                start.ArgumentList.Add(sh);
            }
            else
            {
                start.FileName = sh;
            }

            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("exec \"$0\" -c \"$1\" 2>&1");
            start.ArgumentList.Add(sh);
            start.ArgumentList.Add(request.Command);
        }

        IDictionary<string, string?> variables = start.Environment;
        foreach (string name in variables.Keys.ToList())
        {
            if (environment.IsSecret(name))
            {
                variables.Remove(name);
            }
        }

        foreach ((string name, string value) in environment.Variables)
        {
            variables[name] = value;
        }

        if (request.Environment is not null)
        {
            foreach ((string name, string? value) in request.Environment)
            {
                if (value is null)
                {
                    variables.Remove(name);
                }
                else
                {
                    variables[name] = value;
                }
            }
        }

        variables[CommandIdVariable] = commandId;
        return start;
    }

    private static async Task PumpAsync(StreamReader reader, OutputCapture capture)
    {
        char[] buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false)) > 0)
        {
            capture.Append(buffer.AsSpan(0, read));
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited on its own meanwhile.
        }
        catch (Win32Exception)
        {
            // Part of the tree was already gone; the straggler sweep catches the rest.
        }
    }

    /// <summary>Kills every process left from the command (Linux, from /proc): those in its session, when it has one,
    /// and those carrying its marker variable (which also finds a process that made a session of its own).</summary>
    /// <remarks>Elsewhere only the process tree is killed (on timeout and cancellation); a child re-parented away from
    /// it is not found there.</remarks>
    private static void KillStragglers(string commandId, int session)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc"))
        {
            return;
        }

        byte[] marker = Encoding.ASCII.GetBytes($"{CommandIdVariable}={commandId}\0");
        int self = Environment.ProcessId;

        // A straggler may fork while it is being swept: sweep again until a round finds none.
        for (int round = 0; round < 10; round++)
        {
            bool found = false;
            foreach (string entry in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == self)
                {
                    continue;
                }

                if (!(session > 0 && InSession(entry, session)) && !HasMarker(entry, marker))
                {
                    continue;
                }

                found = true;
                try
                {
                    using Process straggler = Process.GetProcessById(pid);
                    straggler.Kill(entireProcessTree: true);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or Win32Exception)
                {
                    // It ended meanwhile.
                }
            }

            if (!found)
            {
                return;
            }
        }
    }

    private static bool InSession(string procEntry, int session)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Join(procEntry, "stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // "pid (name) state ppid pgrp session ...": the name may hold spaces and parentheses, so parse after the last ')'.
        // A zombie (state Z) is dead already and only waits for its parent; it is not counted as found.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ', 5);
        return fields.Length >= 4
            && fields[0] != "Z"
            && int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out int sid)
            && sid == session;
    }

    private static bool HasMarker(string procEntry, byte[] marker)
    {
        byte[] environ;
        try
        {
            environ = File.ReadAllBytes(Path.Join(procEntry, "environ"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        return HasVariable(environ, marker);
    }

    private static bool HasVariable(ReadOnlySpan<byte> environ, ReadOnlySpan<byte> marker)
    {
        while (!environ.IsEmpty)
        {
            if (environ.StartsWith(marker))
            {
                return true;
            }

            int end = environ.IndexOf((byte)0);
            if (end < 0)
            {
                return false;
            }

            environ = environ[(end + 1)..];
        }

        return false;
    }

    private static CommandResult NotStarted(CommandRequest request, string why) => new()
    {
        Command = request.Command,
        ExitCode = -1,
        Output = why,
    };
}
