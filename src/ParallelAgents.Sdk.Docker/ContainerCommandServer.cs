using System.Diagnostics;
using System.Globalization;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk.Docker;

/// <summary>
/// A shell kept running in a workspace's container (one Docker exec with its standard input attached) that runs the
/// workspace's commands one at a time, so that a command costs one round trip on an open stream instead of an exec
/// (create, start with a new hijacked connection, inspect, and the engine's own process setup).
/// </summary>
/// <remarks>
/// <para>Protocol. A request is a line with the number of arguments, then one line per argument: <c>=</c> and the
/// text as is, or <c>%</c> and the text with <c>\</c> and newlines escaped for <c>printf %b</c>. The arguments are the
/// working folder, then <c>env</c>'s (<c>-u NAME</c> for each variable removed, <c>NAME=value</c> for each set), then
/// <c>/bin/sh -c COMMAND</c>. The server starts the command in a session of its own (<c>setsid</c>, which keeps the
/// process id since a background job is not a group leader) with its standard output and error into a FIFO that
/// <c>cat</c> copies to <c>base64</c> (or, in an image without it, <c>od</c>, whose hex lines start with a space),
/// whose lines are the server's standard output while the command runs: nothing else writes there then, so bytes of
/// any kind come back unharmed. Every control line
/// carries the request's number (the server counts from 1, as this side does), so that a late line of an earlier
/// request is never taken for the current one's. On standard error (fd 3 of the server; its own notices go nowhere)
/// it says <c>p N SESSION CAT</c> once the command has started and <c>e N CODE</c> once it has ended and what it left
/// in its session has been killed; on standard output, after the encoder has written everything out, <c>x N CODE</c>,
/// which ends the request (the two streams are not ordered with each other, so only standard output may carry the
/// end). A process that left the command's session and holds the FIFO would keep the encoder waiting: after a grace
/// period <c>cat</c> is killed, and the encoder ends with what it has (the result says the output stayed open).</para>
/// <para>While a command runs longer than a couple of seconds, the engine is asked whether the server's exec still
/// runs: a server killed meanwhile (by the command, or for memory) leaves the encoder holding its output open, so the
/// stream alone would not tell.</para>
/// <para>Guarantees are the exec path's: output capped in bounded memory on this side, no input (<c>/dev/null</c>),
/// the timeout and cancellation kill the command's session (through one exec, as the exec path does), stragglers in
/// the session are killed when the command ends, only the container's variables and the request's reach the command,
/// and the server runs as the workspace's user. One command at a time: while one runs, another command of the same
/// workspace goes through plain exec (see <see cref="TryRunAsync"/>), so commands still run concurrently.</para>
/// <para>If the server cannot start (no <c>od</c>, <c>setsid</c> or <c>mkfifo</c> in the image, say; or three times
/// not in time) the workspace uses plain exec from then on. If it dies before a command was sent, the command goes through plain exec; if it dies
/// while a command runs, the command's session is killed and its result says so; the next command starts a new server.</para>
/// </remarks>
internal sealed class ContainerCommandServer : IAsyncDisposable
{
    /// <summary>How long to wait for the server to say it is ready, and for output to close after a command ends.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <summary>How often the engine is asked whether the server still runs while a command runs.</summary>
    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(2);

    /// <summary>The server. Its variables start with <c>_pa_</c>: one that the container's environment also has is
    /// exported, and a command would see the server's value instead of its own.</summary>
    private const string Script =
        // Control lines go to fd 3; the shell's own notices (such as "Killed" for a job) go nowhere.
        "exec 3>&2 2>/dev/null; _pa_q=/tmp/.parallelagents-cmd-$$; " +
        "for _pa_t in od cat setsid mkfifo env rm; do command -v \"$_pa_t\" >/dev/null 2>&1 || { echo \"n $_pa_t\"; exit 3; }; done; " +
        // base64 (BusyBox, coreutils) when there is one: a third of od's bytes, and far less work in the container.
        "if command -v base64 >/dev/null 2>&1; then _pa_e=base64; echo r b; else _pa_e='od -An -v -tx1'; echo r h; fi; _pa_c=0; " +
        "while IFS= read -r _pa_n; do _pa_c=$((_pa_c+1)); set --; " +
        "while [ \"$_pa_n\" -gt 0 ]; do IFS= read -r _pa_a || exit 0; " +
        "case $_pa_a in =*) _pa_a=${_pa_a#=} ;; *) _pa_a=$(printf '%bx' \"${_pa_a#%}\"); _pa_a=${_pa_a%x} ;; esac; " +
        "set -- \"$@\" \"$_pa_a\"; _pa_n=$((_pa_n-1)); done; " +
        "_pa_w=$1; shift; " +
        "rm -f \"$_pa_q\" \"$_pa_q.od\"; if ! mkfifo -m 600 \"$_pa_q\" \"$_pa_q.od\"; then echo \"e $_pa_c 126\" >&3; echo \"x $_pa_c 126\"; continue; fi; " +
        // cat (unbuffered) between the command and the encoder: killing cat when a process that left the session
        // holds the output ends the encoder normally, with what it buffered written out.
        "$_pa_e < \"$_pa_q.od\" & _pa_o=$!; cat < \"$_pa_q\" > \"$_pa_q.od\" & _pa_x=$!; " +
        // The command is the first the kernel kills for memory (oom_score_adj 1000, which any process may raise): an
        // allocation past the container's limit kills it, not this server.
        "( cd \"$_pa_w\" || exit 126; { echo 1000 > /proc/self/oom_score_adj; } 2>/dev/null; exec setsid env \"$@\" ) > \"$_pa_q\" 2>&1 < /dev/null & _pa_s=$!; " +
        "echo \"p $_pa_c $_pa_s $_pa_x\" >&3; " +
        "wait $_pa_s; _pa_r=$?; " +
        // What the command left in its session is killed, as the exec path does (and with the same rounds): a round may
        // miss a process forked meanwhile, and a killed one stays listed until it has run to its death.
        "_pa_k() { _pa_f=1; for _pa_d in /proc/[0-9]*; do _pa_p=${_pa_d#/proc/}; [ \"$_pa_p\" = \"$$\" ] && continue; " +
        "read -r _pa_l 2>/dev/null < \"$_pa_d/stat\" || continue; set -- ${_pa_l##*) }; [ \"$1\" = Z ] && continue; " +
        "[ \"$4\" = \"$_pa_s\" ] || continue; kill -9 \"$_pa_p\" 2>/dev/null; _pa_f=0; done; return $_pa_f; }; " +
        "_pa_i=0; while [ $_pa_i -lt 40 ] && _pa_k; do _pa_i=$((_pa_i+1)); [ $_pa_i -lt 5 ] || sleep 0.025; done; " +
        "echo \"e $_pa_c $_pa_r\" >&3; " +
        "wait $_pa_o; rm -f \"$_pa_q\" \"$_pa_q.od\"; echo \"x $_pa_c $_pa_r\"; " +
        "done";

    private readonly DockerClient _client;
    private readonly string _containerId;
    private readonly string _user;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Connection? _connection;
    private string? _unavailable;
    private int _startFailures;
    private int _disposed;

    public ContainerCommandServer(DockerClient client, string containerId, string user, ILogger logger)
    {
        _client = client;
        _containerId = containerId;
        _user = user;
        _logger = logger;
    }

    /// <summary>Why the server is not used any more (it could not start), or <see langword="null"/>.</summary>
    public string? Unavailable => Volatile.Read(ref _unavailable);

    /// <summary>Runs the command through the server, or returns <see langword="null"/> when the caller should use plain
    /// exec: the server is busy with another command, cannot start, died before the command was sent, or the request
    /// names a variable that is not a shell name.</summary>
    public async Task<CommandResult?> TryRunAsync(string workingDirectory, CommandRequest request, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _unavailable) is not null || Volatile.Read(ref _disposed) != 0 || !Servable(request))
        {
            return null;
        }

        if (!_gate.Wait(0, CancellationToken.None))
        {
            return null;
        }

        try
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return null;
            }

            Connection? connection = _connection;
            if (connection is null || connection.IsClosed)
            {
                connection?.Dispose();
                _connection = null;
                connection = await StartAsync(cancellationToken).ConfigureAwait(false);
                if (connection is null)
                {
                    return null;
                }

                _connection = connection;
            }

            CommandResult? result = await connection.RunAsync(workingDirectory, request, cancellationToken).ConfigureAwait(false);
            if (result is null || connection.IsClosed)
            {
                connection.Dispose();
                _connection = null;
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // A command still running holds the gate; the container's removal ends it and the server together.
        if (await _gate.WaitAsync(TimeSpan.Zero).ConfigureAwait(false))
        {
            _connection?.Dispose();
            _connection = null;
            _gate.Release();
        }
    }

    /// <summary>Whether the server can run the request: env's arguments are safe only with shell-style names.</summary>
    private static bool Servable(CommandRequest request)
    {
        if (request.Environment is null)
        {
            return true;
        }

        foreach (string name in request.Environment.Keys)
        {
            if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private async Task<Connection?> StartAsync(CancellationToken cancellationToken)
    {
        MultiplexedStream stream;
        string execId;
        try
        {
            ContainerExecCreateResponse exec = await _client.Exec.ExecCreateContainerAsync(
                _containerId,
                new ContainerExecCreateParameters
                {
                    User = _user,
                    AttachStdin = true,
                    AttachStdout = true,
                    AttachStderr = true,
                    Tty = false,
                    WorkingDir = ContainerIsolationOptions.WorkspacePath,
                    Cmd = ["/bin/sh", "-c", Script],
                },
                cancellationToken).ConfigureAwait(false);
            execId = exec.ID;
            stream = await _client.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when ((ex is DockerApiException or HttpRequestException or IOException) && !cancellationToken.IsCancellationRequested)
        {
            // The exec path reports the same failure with its own message.
            return null;
        }

        var connection = new Connection(this, stream, execId);
        string? refused = await connection.WaitReadyAsync().ConfigureAwait(false);
        if (refused is not null)
        {
            connection.Dispose();
            // An image without the tools never gets them; a server slow to start on a loaded machine may do better
            // next time, but not forever: each try costs the exec it was meant to save.
            if (connection.LacksTools || ++_startFailures >= 3)
            {
                Volatile.Write(ref _unavailable, refused);
                ContainerLog.CommandServerUnavailable(_logger, _containerId, refused);
            }

            return null;
        }

        return connection;
    }

    private async Task ExecQuietlyAsync(params string[] command)
    {
        try
        {
            ContainerExecCreateResponse exec = await _client.Exec.ExecCreateContainerAsync(
                _containerId,
                new ContainerExecCreateParameters { User = _user, AttachStdout = true, AttachStderr = true, Cmd = command },
                CancellationToken.None).ConfigureAwait(false);
            using MultiplexedStream stream = await _client.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false, CancellationToken.None).ConfigureAwait(false);
            await stream.ReadOutputToEndAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or IOException)
        {
            // The container is gone or the engine stopped answering: nothing of the command runs any more either way.
        }
    }

    /// <summary>Whether the server's exec still runs; an engine that does not answer counts as running (the
    /// command's timeout still applies).</summary>
    private async Task<bool> ServerRunningAsync(string execId)
    {
        try
        {
            ContainerExecInspectResponse inspect = await _client.Exec.InspectContainerExecAsync(execId, CancellationToken.None).ConfigureAwait(false);
            return inspect.Running;
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or IOException)
        {
            return true;
        }
    }

    private Task KillSessionAsync(int session) =>
        ExecQuietlyAsync("/bin/sh", "-c", ContainerCommandRunner.Killer, "/bin/sh", session.ToString(CultureInfo.InvariantCulture));

    private Task KillProcessAsync(int process) =>
        ExecQuietlyAsync("/bin/sh", "-c", "kill -9 \"$1\" 2>/dev/null", "/bin/sh", process.ToString(CultureInfo.InvariantCulture));

    /// <summary>The request's lines: see the protocol in the class's remarks.</summary>
    internal static byte[] Encode(string workingDirectory, CommandRequest request)
    {
        var arguments = new List<string> { workingDirectory };
        if (request.Environment is not null)
        {
            foreach ((string name, string? value) in request.Environment)
            {
                if (value is null)
                {
                    arguments.Add("-u");
                    arguments.Add(name);
                }
            }

            foreach ((string name, string? value) in request.Environment)
            {
                if (value is not null)
                {
                    arguments.Add(name + "=" + value);
                }
            }
        }

        arguments.Add("/bin/sh");
        arguments.Add("-c");
        arguments.Add(request.Command);
        var text = new StringBuilder();
        text.Append(arguments.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (string argument in arguments)
        {
            if (argument.Contains('\\', StringComparison.Ordinal) || argument.Contains('\n', StringComparison.Ordinal))
            {
                text.Append('%').Append(argument.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal));
            }
            else
            {
                text.Append('=').Append(argument);
            }

            text.Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>One running server: its stream and the reader that dispatches what it says.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly ContainerCommandServer _owner;
        private readonly MultiplexedStream _stream;
        private readonly TaskCompletionSource<string?> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _pump;
        private readonly string _execId;
        private ServerCommand? _current;
        private int _sequence;

        /// <summary>Whether the output comes as base64 lines (else as od's hex); set once, before any command.</summary>
        private bool _base64;

        public Connection(ContainerCommandServer owner, MultiplexedStream stream, string execId)
        {
            _owner = owner;
            _stream = stream;
            _execId = execId;
            _pump = Task.Run(PumpAsync);
        }

        public bool IsClosed => _closed.Task.IsCompleted;

        /// <summary>Whether the server said the image lacks a tool it needs.</summary>
        public bool LacksTools { get; private set; }

        /// <summary>Waits for the server's first line: <see langword="null"/> when it is ready, else why it is not.</summary>
        public async Task<string?> WaitReadyAsync()
        {
            Task<string?> ready = _ready.Task;
            if (await Task.WhenAny(ready, Task.Delay(Grace, CancellationToken.None)).ConfigureAwait(false) != ready)
            {
                return "the command server did not answer within " + Grace.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s";
            }

            return await ready.ConfigureAwait(false);
        }

        /// <summary>Runs one command; <see langword="null"/> when the server was gone before the command was sent.</summary>
        public async Task<CommandResult?> RunAsync(string workingDirectory, CommandRequest request, CancellationToken cancellationToken)
        {
            // The server numbers requests from 1 as this side does; a late line of an earlier command (standard error
            // is not ordered with standard output) carries that command's number and is ignored.
            var command = new ServerCommand(++_sequence, request.MaxOutputChars);
            byte[] payload = Encode(workingDirectory, request);
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            Volatile.Write(ref _current, command);
            try
            {
                await _stream.WriteAsync(payload, 0, payload.Length, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or HttpRequestException)
            {
                Volatile.Write(ref _current, null);
                Dispose();
                return null;
            }

            using CancellationTokenSource timeout = request.StartTimeout();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            bool killed = false;
            bool died = false;
            while (!command.Ended.Task.IsCompleted && !IsClosed)
            {
                Task tick = Task.Delay(Watch, linked.Token);
                if (await Task.WhenAny(command.Ended.Task, _closed.Task, tick).ConfigureAwait(false) != tick)
                {
                    break;
                }

                if (linked.IsCancellationRequested)
                {
                    killed = true;
                    Task<(int Session, int Reader)> started = command.Started.Task;
                    if (await Task.WhenAny(started, _closed.Task, Task.Delay(Grace, CancellationToken.None)).ConfigureAwait(false) == started)
                    {
                        await _owner.KillSessionAsync(started.Result.Session).ConfigureAwait(false);
                    }

                    await Task.WhenAny(command.Ended.Task, _closed.Task, Task.Delay(Grace, CancellationToken.None)).ConfigureAwait(false);
                    break;
                }

                // The output stays open while the encoder runs, and it outlives a server that was killed: ask the engine.
                if (!await _owner.ServerRunningAsync(_execId).ConfigureAwait(false) && !command.Ended.Task.IsCompleted)
                {
                    died = true;
                    break;
                }
            }

            TimeSpan duration = clock.Elapsed;
            bool closed = !died && await DoneWithinGraceAsync(command).ConfigureAwait(false);
            if (!closed && !died && !IsClosed && command.Started.Task.IsCompletedSuccessfully)
            {
                // A process that left the command's session still holds the FIFO, so the encoder never ends: stop it.
                await _owner.KillProcessAsync(command.Started.Task.Result.Reader).ConfigureAwait(false);
                if (!await DoneWithinGraceAsync(command).ConfigureAwait(false))
                {
                    Dispose();
                }
            }

            Volatile.Write(ref _current, null);
            if (!command.Done.Task.IsCompleted)
            {
                // The server died (or stopped answering) with the command in flight: make sure nothing of it runs on.
                if (command.Started.Task.IsCompletedSuccessfully)
                {
                    await _owner.KillSessionAsync(command.Started.Task.Result.Session).ConfigureAwait(false);
                    await _owner.KillProcessAsync(command.Started.Task.Result.Reader).ConfigureAwait(false);
                }

                Dispose();
                if (killed && cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException($"The command '{request.Command}' was cancelled; its processes in the container were killed.", cancellationToken);
                }

                command.Flush();
                if (!killed)
                {
                    command.Capture.Append("\n[the command server in the container stopped before the command ended (it was killed, by the command or for memory); " +
                        "the command's processes were killed and its exit code is unknown; the next command starts a new server]\n");
                    return command.Capture.ToResult(request, -1, killed: false, outputClosed: true, duration);
                }

                return command.Capture.ToResult(request, -1, killed: true, outputClosed: true, duration);
            }

            command.Flush();
            if (killed && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException($"The command '{request.Command}' was cancelled; its processes in the container were killed.", cancellationToken);
            }

            return command.Capture.ToResult(request, command.Done.Task.Result, killed, closed, duration);
        }

        public void Dispose()
        {
            _stream.Dispose();
            _closed.TrySetResult();
        }

        private async Task<bool> DoneWithinGraceAsync(ServerCommand command)
        {
            Task done = command.Done.Task;
            return await Task.WhenAny(done, _closed.Task, Task.Delay(Grace, CancellationToken.None)).ConfigureAwait(false) == done;
        }

        private async Task PumpAsync()
        {
            byte[] buffer = new byte[64 * 1024];
            var output = new LineReader();
            var errors = new LineReader();
            try
            {
                while (true)
                {
                    MultiplexedStream.ReadResult read = await _stream.ReadOutputAsync(buffer, 0, buffer.Length, CancellationToken.None).ConfigureAwait(false);
                    if (read.EOF)
                    {
                        break;
                    }

                    if (read.Target == MultiplexedStream.TargetStream.StandardOut)
                    {
                        output.Feed(buffer.AsSpan(0, read.Count), OnOutputLine);
                    }
                    else
                    {
                        errors.Feed(buffer.AsSpan(0, read.Count), OnErrorLine);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or HttpRequestException)
            {
                // Closed under the reader, or the engine went away: the server is gone either way.
            }
            finally
            {
                _ready.TrySetResult("the command server ended before it was ready");
                _closed.TrySetResult();
            }
        }

        private void OnOutputLine(ReadOnlySpan<byte> line)
        {
            // Data lines never hold a space after their first character (base64 none at all, od's start with one), and
            // every control line does.
            ServerCommand? command = Volatile.Read(ref _current);
            if (line.Length > 0 && line[0] == (byte)' ' && !_base64)
            {
                command?.AppendHex(line);
            }
            else if (line.Length > 0 && _base64 && !line.Contains((byte)' '))
            {
                command?.AppendBase64(line);
            }
            else if (line.Length > 2 && line[0] == (byte)'x' && line[1] == (byte)' ' && TryParseNumbers(line[2..], out int sequence, out int code))
            {
                if (command?.Sequence == sequence)
                {
                    command.Finish(code);
                }
            }
            else if (line.Length == 3 && line[0] == (byte)'r' && line[1] == (byte)' ')
            {
                _base64 = line[2] == (byte)'b';
                _ready.TrySetResult(null);
            }
            else if (line.Length > 2 && line[0] == (byte)'n' && line[1] == (byte)' ')
            {
                LacksTools = true;
                _ready.TrySetResult($"the image has no '{Encoding.UTF8.GetString(line[2..])}', which the command server needs");
            }
            else
            {
                command?.Capture.Append(Encoding.UTF8.GetString(line) + "\n");
            }
        }

        private void OnErrorLine(ReadOnlySpan<byte> line)
        {
            ServerCommand? command = Volatile.Read(ref _current);
            if (command is null)
            {
                return;
            }

            if (line.Length > 2 && line[0] == (byte)'p' && line[1] == (byte)' ' && TryParseNumbers(line[2..], out int sequence, out int rest)
                && TryParseNumbers(line[(3 + line[2..].IndexOf((byte)' '))..], out int session, out int reader))
            {
                if (command.Sequence == sequence)
                {
                    command.Started.TrySetResult((session, reader));
                }
            }
            else if (line.Length > 2 && line[0] == (byte)'e' && line[1] == (byte)' ' && TryParseNumbers(line[2..], out sequence, out _))
            {
                if (command.Sequence == sequence)
                {
                    command.Ended.TrySetResult();
                }
            }
            else
            {
                // The server shell's own complaints (a folder it could not enter, say) belong to the command's output.
                command.Capture.Append(Encoding.UTF8.GetString(line) + "\n");
            }
        }

        /// <summary>Reads <c>A B</c> (B may be followed by more fields).</summary>
        private static bool TryParseNumbers(ReadOnlySpan<byte> text, out int first, out int second)
        {
            second = 0;
            int space = text.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(text[..space], NumberStyles.None, CultureInfo.InvariantCulture, out first))
            {
                first = 0;
                return false;
            }

            ReadOnlySpan<byte> rest = text[(space + 1)..];
            int end = rest.IndexOf((byte)' ');
            return int.TryParse(end < 0 ? rest : rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out second);
        }
    }

    /// <summary>What the server has said about the command in flight.</summary>
    private sealed class ServerCommand
    {
        private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
        private readonly byte[] _bytes = new byte[64];
        private readonly char[] _chars = new char[128];
        private byte[] _decoded = new byte[128];
        private char[] _decodedChars = new char[130];

        public ServerCommand(int sequence, int maxChars)
        {
            Sequence = sequence;
            Capture = new OutputCapture(maxChars);
        }

        public int Sequence { get; }

        public OutputCapture Capture { get; }

        public TaskCompletionSource<(int Session, int Reader)> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the command has ended (<c>e</c>), or with <see cref="Done"/>.</summary>
        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes with the exit code once all of the output is in (<c>x</c>).</summary>
        public TaskCompletionSource<int> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Decodes one base64 line (whole groups of four characters) into the output.</summary>
        public void AppendBase64(ReadOnlySpan<byte> line)
        {
            if (_decoded.Length < line.Length)
            {
                _decoded = new byte[line.Length];
                _decodedChars = new char[line.Length + 2];
            }

            if (System.Buffers.Text.Base64.DecodeFromUtf8(line, _decoded, out _, out int written) != System.Buffers.OperationStatus.Done)
            {
                Capture.Append("[the command server sent output that is not base64]\n");
                return;
            }

            int chars = _decoder.GetChars(_decoded, 0, written, _decodedChars, 0, flush: false);
            Capture.Append(_decodedChars.AsSpan(0, chars));
        }

        /// <summary>Decodes one od line (<c> 68 69 0a</c>, at most 16 bytes) into the output.</summary>
        public void AppendHex(ReadOnlySpan<byte> line)
        {
            int count = 0;
            for (int i = 0; i + 1 < line.Length && count < _bytes.Length; i++)
            {
                if (line[i] == (byte)' ')
                {
                    continue;
                }

                int high = HexValue(line[i]);
                int low = HexValue(line[i + 1]);
                if (high < 0 || low < 0)
                {
                    break;
                }

                _bytes[count++] = (byte)((high << 4) | low);
                i++;
            }

            int chars = _decoder.GetChars(_bytes, 0, count, _chars, 0, flush: false);
            Capture.Append(_chars.AsSpan(0, chars));
        }

        public void Finish(int code)
        {
            Flush();
            Ended.TrySetResult();
            Done.TrySetResult(code);
        }

        /// <summary>Emits what the decoder holds of an unfinished character.</summary>
        public void Flush()
        {
            int chars = _decoder.GetChars([], 0, 0, _chars, 0, flush: true);
            Capture.Append(_chars.AsSpan(0, chars));
        }

        private static int HexValue(byte b) => b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };
    }

    /// <summary>Splits a byte stream into lines across reads.</summary>
    private sealed class LineReader
    {
        private const int MaxLine = 64 * 1024;

        private byte[] _pending = new byte[256];
        private int _length;

        public delegate void LineHandler(ReadOnlySpan<byte> line);

        public void Feed(ReadOnlySpan<byte> data, LineHandler onLine)
        {
            while (!data.IsEmpty)
            {
                int newline = data.IndexOf((byte)'\n');
                if (newline < 0)
                {
                    Keep(data);
                    return;
                }

                if (_length == 0)
                {
                    onLine(data[..newline]);
                }
                else
                {
                    Keep(data[..newline]);
                    onLine(_pending.AsSpan(0, _length));
                    _length = 0;
                }

                data = data[(newline + 1)..];
            }
        }

        private void Keep(ReadOnlySpan<byte> data)
        {
            if (_length + data.Length > MaxLine)
            {
                // Nothing the server writes is this long; a process writing into its output is cut off, not buffered.
                return;
            }

            if (_length + data.Length > _pending.Length)
            {
                Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _length + data.Length));
            }

            data.CopyTo(_pending.AsSpan(_length));
            _length += data.Length;
        }
    }
}
