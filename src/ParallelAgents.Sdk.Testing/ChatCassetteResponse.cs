namespace ParallelAgents.Sdk;

/// <summary>A recorded answer: the messages the model sent back and what came with them.</summary>
public sealed class ChatCassetteResponse
{
    /// <summary>Gets the messages of the answer, in order.</summary>
    public IList<ChatCassetteMessage> Messages { get; } = new List<ChatCassetteMessage>();

    /// <summary>Gets or sets why the model stopped: <c>stop</c>, <c>length</c>, <c>tool_calls</c>, <c>content_filter</c> or a provider's own value.</summary>
    /// <value><see langword="null"/>: not reported.</value>
    public string? FinishReason { get; set; }

    /// <summary>Gets or sets the id of the model that answered.</summary>
    /// <value><see langword="null"/>: not reported.</value>
    public string? ModelId { get; set; }

    /// <summary>Gets or sets the token counts the provider reported.</summary>
    /// <value><see langword="null"/>: not reported.</value>
    public ChatCassetteUsage? Usage { get; set; }
}
