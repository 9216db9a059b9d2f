using System.Diagnostics;
using System.Globalization;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ParallelAgents.Sdk.Docker;

/// <summary>
/// Runs a command in a running container through Docker exec, with the semantics of the host's process runner: output
/// (standard output and error interleaved) capped with head and tail in bounded memory, no input, and on timeout or
/// cancellation every process the command started killed.
/// </summary>
/// <remarks>
/// Docker starts each exec in a session of its own, so the command's processes are found by their session id in the
/// container's <c>/proc</c>, with nothing but <c>/bin/sh</c> needed in the image. The command runs under a small shell
/// wrapper that reports its process id and the command's exit code on standard error (the command's own standard
/// error goes to standard output), and, once the command has ended, kills what it left running in its session, as the
/// host runner does; a process that made a session of its own is left until the container is removed.
/// </remarks>
internal static class ContainerCommandRunner
{
    /// <summary>How long to wait for the output to close after the command has ended (or been killed).</summary>
    private static readonly TimeSpan PipeGrace = TimeSpan.FromSeconds(5);

    /// <summary>Kills every process of session <c>$_pa_s</c> but itself (zombies are dead already); says whether it found one.</summary>
    private const string KillSessionFunction =
        "k() { f=1; for d in /proc/[0-9]*; do p=${d#/proc/}; [ \"$p\" = \"$$\" ] && continue; " +
        "read -r l 2>/dev/null < \"$d/stat\" || continue; set -- ${l##*) }; [ \"$1\" = Z ] && continue; " +
        "[ \"$4\" = \"$_pa_s\" ] || continue; kill -9 \"$p\" 2>/dev/null; f=0; done; return $f; }; " +
        // A process may fork while its session is swept, and one that was sent SIGKILL stays listed until it gets the
        // processor to die (on a loaded machine, later than ten rounds without a pause): sweep again until a round finds
        // none, the first five rounds at once, then with 25 ms pauses, at most 40 rounds (under a second).
        "i=0; while [ $i -lt 40 ] && k; do i=$((i+1)); [ $i -lt 5 ] || sleep 0.025; done";

    /// <summary>$0 is the shell, $1 the command, the rest the names of variables to remove. The variables it sets
    /// before the command start with <c>_pa_</c>: one the environment also has is exported, and the command would see it.</summary>
    private const string Wrapper =
        "_pa_c=$1; shift; for _pa_n in \"$@\"; do unset \"$_pa_n\" 2>/dev/null; done; _pa_s=$$; echo \"pid $$\" >&2; " +
        // The command is the first the kernel kills for memory, before the container's own processes (as on the server).
        "{ echo 1000 > /proc/self/oom_score_adj; } 2>/dev/null; \"$0\" -c \"$_pa_c\" 2>&1; r=$?; " + KillSessionFunction + "; echo \"exit $r\" >&2; exit $r";

    /// <summary>Kills every process of session <c>$1</c>.</summary>
    internal const string Killer = "_pa_s=$1; " + KillSessionFunction;

    private const string Shell = "/bin/sh";

    public static async Task<CommandResult> RunAsync(
        DockerClient client, string containerId, string user, string workingDirectory, CommandRequest request, CancellationToken cancellationToken)
    {
        var environment = new List<string>();
        var removed = new List<string>();
        if (request.Environment is not null)
        {
            foreach ((string name, string? value) in request.Environment)
            {
                if (value is null)
                {
                    removed.Add(name);
                }
                else
                {
                    environment.Add(name + "=" + value);
                }
            }
        }

        var clock = Stopwatch.StartNew();
        MultiplexedStream stream;
        string execId;
        try
        {
            ContainerExecCreateResponse exec = await client.Exec.ExecCreateContainerAsync(
                containerId,
                new ContainerExecCreateParameters
                {
                    User = user,
                    AttachStdin = false,
                    AttachStdout = true,
                    AttachStderr = true,
                    Tty = false,
                    Env = environment,
                    WorkingDir = workingDirectory,
                    Cmd = [Shell, "-c", Wrapper, Shell, request.Command, .. removed],
                },
                cancellationToken).ConfigureAwait(false);
            execId = exec.ID;
            stream = await client.Exec.StartAndAttachContainerExecAsync(execId, tty: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when ((ex is DockerApiException or HttpRequestException or IOException) && !cancellationToken.IsCancellationRequested)
        {
            return NotStarted(request, $"could not start the command in the container {containerId[..Math.Min(12, containerId.Length)]}: {ex.Message}. " +
                "Check that the container still runs (docker ps) and that its image has /bin/sh.");
        }

        using (stream)
        {
            var capture = new OutputCapture(request.MaxOutputChars);
            var control = new ExecControl();
            Task pump = PumpAsync(stream, capture, control);

            using CancellationTokenSource timeout = request.StartTimeout();

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            bool killed = false;
            try
            {
                await control.Ended.Task.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                killed = true;
                await KillAsync(client, containerId, user, control).ConfigureAwait(false);
            }

            TimeSpan duration = clock.Elapsed;
            bool closed = await Task.WhenAny(pump, Task.Delay(PipeGrace, CancellationToken.None)).ConfigureAwait(false) == pump;
            if (!closed)
            {
                // A process that left the command's session still holds the output; stop reading it.
                stream.Dispose();
                await pump.ConfigureAwait(false);
            }

            if (killed && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException($"The command '{request.Command}' was cancelled; its processes in the container were killed.", cancellationToken);
            }

            int exitCode = -1;
            if (!killed)
            {
                exitCode = control.ExitCode ?? await InspectExitCodeAsync(client, execId).ConfigureAwait(false);
            }

            return capture.ToResult(request, exitCode, killed, closed, duration);
        }
    }

    private static async Task KillAsync(DockerClient client, string containerId, string user, ExecControl control)
    {
        // The wrapper says its id first thing; a command killed before it did has not started anything yet.
        Task<int> pid = control.ProcessId.Task;
        if (await Task.WhenAny(pid, control.Ended.Task, Task.Delay(PipeGrace)).ConfigureAwait(false) != pid)
        {
            return;
        }

        try
        {
            ContainerExecCreateResponse exec = await client.Exec.ExecCreateContainerAsync(
                containerId,
                new ContainerExecCreateParameters
                {
                    User = user,
                    AttachStdout = true,
                    AttachStderr = true,
                    Cmd = [Shell, "-c", Killer, Shell, (await pid.ConfigureAwait(false)).ToString(CultureInfo.InvariantCulture)],
                },
                CancellationToken.None).ConfigureAwait(false);
            using MultiplexedStream killer = await client.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false, CancellationToken.None).ConfigureAwait(false);
            await killer.ReadOutputToEndAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or IOException)
        {
            // The container is gone or the engine stopped answering: nothing of the command runs any more either way.
        }
    }

    /// <summary>The exit code of an exec whose wrapper could not report it (it was killed, by the kernel's
    /// out-of-memory killer for instance).</summary>
    private static async Task<int> InspectExitCodeAsync(DockerClient client, string execId)
    {
        try
        {
            // The engine may close the output a moment before it records the exit: ask again briefly.
            for (int i = 0; i < 50; i++)
            {
                ContainerExecInspectResponse inspect = await client.Exec.InspectContainerExecAsync(execId, CancellationToken.None).ConfigureAwait(false);
                if (!inspect.Running)
                {
                    return (int)inspect.ExitCode;
                }

                await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or IOException)
        {
        }

        return -1;
    }

    private static async Task PumpAsync(MultiplexedStream stream, OutputCapture capture, ExecControl control)
    {
        byte[] buffer = new byte[16 * 1024];
        char[] chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        Decoder output = new UTF8Encoding(false).GetDecoder();
        var errors = new StringBuilder();
        try
        {
            while (true)
            {
                MultiplexedStream.ReadResult read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, CancellationToken.None).ConfigureAwait(false);
                if (read.EOF)
                {
                    break;
                }

                if (read.Target == MultiplexedStream.TargetStream.StandardOut)
                {
                    int count = output.GetChars(buffer, 0, read.Count, chars, 0, flush: false);
                    capture.Append(chars.AsSpan(0, count));
                }
                else
                {
                    errors.Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
                    ReadControlLines(errors, capture, control);
                }
            }

            int rest = output.GetChars([], 0, 0, chars, 0, flush: true);
            capture.Append(chars.AsSpan(0, rest));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or HttpRequestException)
        {
            // The stream was closed under the reader (a background process held it open) or the engine went away.
        }
        finally
        {
            if (errors.Length > 0)
            {
                capture.Append(errors.ToString());
            }

            control.Ended.TrySetResult();
        }
    }

    /// <summary>Takes the wrapper's lines (<c>pid N</c>, <c>exit N</c>) out of standard error; anything else there
    /// (the wrapper shell's own complaints) goes to the output.</summary>
    private static void ReadControlLines(StringBuilder errors, OutputCapture capture, ExecControl control)
    {
        int newline;
        while ((newline = IndexOf(errors, '\n')) >= 0)
        {
            string line = errors.ToString(0, newline);
            errors.Remove(0, newline + 1);
            if (line.StartsWith("pid ", StringComparison.Ordinal) && int.TryParse(line.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                control.ProcessId.TrySetResult(pid);
            }
            else if (line.StartsWith("exit ", StringComparison.Ordinal) && int.TryParse(line.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int code))
            {
                control.ExitCode = code;
                control.Ended.TrySetResult();
            }
            else
            {
                capture.Append(line + "\n");
            }
        }
    }

    private static int IndexOf(StringBuilder text, char c)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == c)
            {
                return i;
            }
        }

        return -1;
    }

    private static CommandResult NotStarted(CommandRequest request, string why) => new()
    {
        Command = request.Command,
        ExitCode = -1,
        Output = why,
    };

    /// <summary>What the wrapper has said about the command so far.</summary>
    private sealed class ExecControl
    {
        public TaskCompletionSource<int> ProcessId { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the wrapper reports the exit code, or when the output ends without one.</summary>
        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int? ExitCode { get; set; }
    }
}
