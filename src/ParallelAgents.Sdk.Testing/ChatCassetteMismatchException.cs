namespace ParallelAgents.Sdk;

/// <summary>
/// Thrown by <see cref="ReplayChatClient"/> when a request differs from the recorded one, or when a request comes
/// after the last recorded exchange. The message shows the exchange and the first difference.
/// </summary>
public sealed class ChatCassetteMismatchException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="ChatCassetteMismatchException"/> class.</summary>
    public ChatCassetteMismatchException()
        : this("A request does not match the chat cassette.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ChatCassetteMismatchException"/> class with a message.</summary>
    /// <param name="message">What did not match.</param>
    public ChatCassetteMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ChatCassetteMismatchException"/> class with a message and a cause.</summary>
    /// <param name="message">What did not match.</param>
    /// <param name="innerException">The cause.</param>
    public ChatCassetteMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal ChatCassetteMismatchException(string message, int exchangeNumber, string? path, string? expected, string? actual)
        : base(message)
    {
        ExchangeNumber = exchangeNumber;
        Path = path;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>Gets the number of the exchange (1 for the first request) that did not match.</summary>
    /// <value>0 when not known.</value>
    public int ExchangeNumber { get; }

    /// <summary>
    /// Gets where in the request the first difference is, such as <c>messages[2].contents[0].text</c> (indexes from 0);
    /// <see langword="null"/> when the request came after the last recorded exchange.
    /// </summary>
    public string? Path { get; }

    /// <summary>Gets the recorded value at <see cref="Path"/>, as shown in the message.</summary>
    public string? Expected { get; }

    /// <summary>Gets the value the request had at <see cref="Path"/>, as shown in the message.</summary>
    public string? Actual { get; }
}
