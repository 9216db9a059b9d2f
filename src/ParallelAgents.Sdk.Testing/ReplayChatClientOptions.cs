namespace ParallelAgents.Sdk;

/// <summary>Options of a <see cref="ReplayChatClient"/>: how closely requests must match the cassette.</summary>
public sealed class ReplayChatClientOptions
{
    /// <summary>Gets or sets how closely each request must match the recorded one.</summary>
    /// <value><see cref="ChatRequestMatching.Strict"/>.</value>
    public ChatRequestMatching Matching { get; set; } = ChatRequestMatching.Strict;

    /// <summary>
    /// Gets the secrets to redact from each request before it is compared, as they were redacted when the cassette was
    /// recorded (give the same list as to <see cref="RecordingChatClientOptions.Secrets"/>).
    /// </summary>
    /// <value>Empty.</value>
    public IList<string?> Secrets { get; } = new List<string?>();

    /// <summary>Gets or sets the function applied to each string of a request before it is compared, as <see cref="RecordingChatClientOptions.Redact"/>.</summary>
    /// <value><see langword="null"/>: only <see cref="Secrets"/> are replaced.</value>
    public Func<string, string>? Redact { get; set; }

    /// <summary>Gets or sets the text that stands in place of a secret, as <see cref="RecordingChatClientOptions.RedactionMarker"/>.</summary>
    /// <value><c>[REDACTED]</c>.</value>
    public string RedactionMarker { get; set; } = "[REDACTED]";
}
