namespace ParallelAgents.Sdk;

/// <summary>Options of a <see cref="RecordingChatClient"/>: what to keep out of the cassette.</summary>
public sealed class RecordingChatClientOptions
{
    /// <summary>
    /// Gets the secrets to replace with <see cref="RedactionMarker"/> wherever they appear: in texts, names, options,
    /// function arguments and results, and as a last check over the whole file. Put API keys here
    /// (<c>Environment.GetEnvironmentVariable("OPENAI_API_KEY")</c>); null and empty entries are ignored.
    /// </summary>
    /// <value>Empty.</value>
    public IList<string?> Secrets { get; } = new List<string?>();

    /// <summary>
    /// Gets or sets a function applied to every string that goes into the cassette, after <see cref="Secrets"/> are
    /// replaced, for secrets that follow a pattern (a regular expression for <c>sk-...</c> keys, say).
    /// </summary>
    /// <value><see langword="null"/>: only <see cref="Secrets"/> are replaced.</value>
    public Func<string, string>? Redact { get; set; }

    /// <summary>Gets or sets the text that stands in place of a secret.</summary>
    /// <value><c>[REDACTED]</c>.</value>
    public string RedactionMarker { get; set; } = "[REDACTED]";
}
