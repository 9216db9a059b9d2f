namespace ParallelAgents.Sdk;

/// <summary>A recorded chat request: the messages sent, in order, and the options that matter to the answer.</summary>
public sealed class ChatCassetteRequest
{
    /// <summary>Gets the messages of the request, in order.</summary>
    public IList<ChatCassetteMessage> Messages { get; } = new List<ChatCassetteMessage>();

    /// <summary>Gets or sets the recorded options.</summary>
    /// <value><see langword="null"/> when the request had no options.</value>
    public ChatCassetteRequestOptions? Options { get; set; }
}
