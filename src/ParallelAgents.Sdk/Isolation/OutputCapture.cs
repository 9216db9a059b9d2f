using System.Globalization;
using System.Text;

namespace ParallelAgents.Sdk;

/// <summary>
/// A command's output in bounded memory: the first half of the cap is kept as it arrives, the last half in a ring,
/// and what falls between is only counted.
/// </summary>
internal sealed class OutputCapture
{
    private readonly object _gate = new();
    private readonly int _headLimit;
    private readonly char[] _tail;
    private readonly StringBuilder _head;
    private int _tailStart;
    private int _tailCount;
    private long _total;
    private bool _frozen;

    public OutputCapture(int maxChars)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxChars);
        _headLimit = maxChars / 2;
        _tail = new char[maxChars - _headLimit];
        _head = new StringBuilder(Math.Min(_headLimit, 4096));
    }

    /// <summary>Adds output; ignored once the capture is frozen (a straggler still writing after the result is made).</summary>
    public void Append(ReadOnlySpan<char> chars)
    {
        lock (_gate)
        {
            if (_frozen)
            {
                return;
            }

            _total += chars.Length;
            int toHead = Math.Min(chars.Length, _headLimit - _head.Length);
            if (toHead > 0)
            {
                _head.Append(chars[..toHead]);
                chars = chars[toHead..];
            }

            if (_tail.Length == 0 || chars.IsEmpty)
            {
                return;
            }

            if (chars.Length >= _tail.Length)
            {
                chars[^_tail.Length..].CopyTo(_tail);
                _tailStart = 0;
                _tailCount = _tail.Length;
                return;
            }

            foreach (char c in chars)
            {
                int end = (_tailStart + _tailCount) % _tail.Length;
                _tail[end] = c;
                if (_tailCount < _tail.Length)
                {
                    _tailCount++;
                }
                else
                {
                    _tailStart = (_tailStart + 1) % _tail.Length;
                }
            }
        }
    }

    /// <summary>Freezes the capture and makes the command's result, wherever the command ran (host or container).</summary>
    /// <param name="request">The command.</param>
    /// <param name="exitCode">Its exit code; ignored when it was killed.</param>
    /// <param name="killed">Whether it was killed for running past its timeout.</param>
    /// <param name="outputClosed">Whether its output closed; a background process it started may hold it open.</param>
    /// <param name="duration">How long it ran.</param>
    public CommandResult ToResult(CommandRequest request, int exitCode, bool killed, bool outputClosed, TimeSpan duration)
    {
        // The notes go after the capped output, so that they are never cut and never counted as output.
        (string output, long omitted) = Complete();
        if (!outputClosed)
        {
            output += "\n[the command's output stayed open after it exited: a background process it started still holds it]\n";
        }

        if (killed)
        {
            output += string.Create(CultureInfo.InvariantCulture, $"\n[timed out after {request.Timeout}; the command and every process it started were killed]\n");
        }

        return new CommandResult
        {
            Command = request.Command,
            ExitCode = killed ? -1 : exitCode,
            TimedOut = killed,
            Output = output,
            OmittedChars = omitted,
            Duration = duration,
        };
    }

    /// <summary>Freezes the capture and makes the text: head, a note of what was cut, tail.</summary>
    /// <returns>The output and how many characters were cut from the middle.</returns>
    public (string Output, long Omitted) Complete()
    {
        lock (_gate)
        {
            _frozen = true;
            string head = _head.ToString();
            var tail = new StringBuilder(_tailCount);
            for (int i = 0; i < _tailCount; i++)
            {
                tail.Append(_tail[(_tailStart + i) % _tail.Length]);
            }

            long omitted = _total - head.Length - tail.Length;
            if (omitted == 0)
            {
                return (head + tail, 0);
            }

            // Don't leave half of a surrogate pair on either side of the cut.
            if (head.Length > 0 && char.IsHighSurrogate(head[^1]))
            {
                head = head[..^1];
                omitted++;
            }

            if (tail.Length > 0 && char.IsLowSurrogate(tail[0]))
            {
                tail.Remove(0, 1);
                omitted++;
            }

            string note = string.Create(CultureInfo.InvariantCulture, $"[... {omitted:N0} characters cut ...]");
            string before = head.Length == 0 || head[^1] == '\n' ? "" : "\n";
            return ($"{head}{before}{note}\n{tail}", omitted);
        }
    }
}
