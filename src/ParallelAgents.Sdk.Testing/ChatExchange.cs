namespace ParallelAgents.Sdk;

/// <summary>One request to a chat client and the answer it gave, as kept in a <see cref="ChatCassette"/>.</summary>
public sealed class ChatExchange
{
    /// <summary>Gets or sets a value indicating whether the request was a streaming one.</summary>
    /// <value><see langword="false"/>. Informational: a replay answers either kind of request from either kind of exchange.</value>
    public bool Streaming { get; set; }

    /// <summary>Gets or sets the request: the messages sent and the options that shape the answer.</summary>
    /// <value>An empty request.</value>
    public ChatCassetteRequest Request { get; set; } = new();

    /// <summary>Gets or sets the answer. For a streaming request it is the combination of all the updates.</summary>
    /// <value>An empty response.</value>
    public ChatCassetteResponse Response { get; set; } = new();
}
