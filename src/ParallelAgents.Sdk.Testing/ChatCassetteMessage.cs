namespace ParallelAgents.Sdk;

/// <summary>A recorded chat message: its role and its contents in order.</summary>
public sealed class ChatCassetteMessage
{
    /// <summary>Gets or sets the role: <c>system</c>, <c>user</c>, <c>assistant</c>, <c>tool</c> or a provider's own value.</summary>
    /// <value>An empty string.</value>
    public string Role { get; set; } = string.Empty;

    /// <summary>Gets or sets the name of the author.</summary>
    /// <value><see langword="null"/>: none.</value>
    public string? AuthorName { get; set; }

    /// <summary>Gets the contents of the message, in order.</summary>
    public IList<ChatCassetteContent> Contents { get; } = new List<ChatCassetteContent>();
}
