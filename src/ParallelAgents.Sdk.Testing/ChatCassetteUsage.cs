namespace ParallelAgents.Sdk;

/// <summary>Token counts of a recorded answer, as <see cref="Microsoft.Extensions.AI.UsageDetails"/> reports them.</summary>
public sealed class ChatCassetteUsage
{
    /// <summary>Gets or sets the tokens of the request.</summary>
    /// <value><see langword="null"/>: not reported.</value>
    public long? InputTokenCount { get; set; }

    /// <summary>Gets or sets the tokens of the answer.</summary>
    /// <value><see langword="null"/>: not reported.</value>
    public long? OutputTokenCount { get; set; }

    /// <summary>Gets or sets the tokens of request and answer together.</summary>
    /// <value><see langword="null"/>: not reported.</value>
    public long? TotalTokenCount { get; set; }

    /// <summary>Gets or sets the request tokens served from the provider's prompt cache.</summary>
    /// <value><see langword="null"/>: not reported.</value>
    public long? CachedInputTokenCount { get; set; }

    /// <summary>Gets or sets the tokens the model spent reasoning.</summary>
    /// <value><see langword="null"/>: not reported.</value>
    public long? ReasoningTokenCount { get; set; }
}
