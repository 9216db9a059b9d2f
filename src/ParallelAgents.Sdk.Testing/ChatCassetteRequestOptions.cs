namespace ParallelAgents.Sdk;

/// <summary>
/// The parts of <see cref="Microsoft.Extensions.AI.ChatOptions"/> a cassette keeps: those that shape the answer.
/// Each is <see langword="null"/> (and left out of the JSON) when the request did not set it.
/// </summary>
public sealed class ChatCassetteRequestOptions
{
    /// <summary>Gets or sets the model id asked for.</summary>
    /// <value><see langword="null"/>: not set.</value>
    public string? ModelId { get; set; }

    /// <summary>Gets or sets the instructions (a system prompt given through the options).</summary>
    /// <value><see langword="null"/>: not set.</value>
    public string? Instructions { get; set; }

    /// <summary>Gets or sets the sampling temperature.</summary>
    /// <value><see langword="null"/>: not set.</value>
    public float? Temperature { get; set; }

    /// <summary>Gets or sets the nucleus sampling factor.</summary>
    /// <value><see langword="null"/>: not set.</value>
    public float? TopP { get; set; }

    /// <summary>Gets or sets the top-K sampling count.</summary>
    /// <value><see langword="null"/>: not set.</value>
    public int? TopK { get; set; }

    /// <summary>Gets or sets the most tokens the answer may have.</summary>
    /// <value><see langword="null"/>: not set.</value>
    public int? MaxOutputTokens { get; set; }

    /// <summary>Gets or sets the frequency penalty.</summary>
    /// <value><see langword="null"/>: not set.</value>
    public float? FrequencyPenalty { get; set; }

    /// <summary>Gets or sets the presence penalty.</summary>
    /// <value><see langword="null"/>: not set.</value>
    public float? PresencePenalty { get; set; }

    /// <summary>Gets or sets the sampling seed.</summary>
    /// <value><see langword="null"/>: not set.</value>
    public long? Seed { get; set; }

    /// <summary>Gets or sets the stop sequences.</summary>
    /// <value><see langword="null"/>: not set.</value>
    public IReadOnlyList<string>? StopSequences { get; set; }

    /// <summary>Gets or sets the tool mode: <c>auto</c>, <c>none</c>, <c>required</c> or <c>required:</c> followed by a function name.</summary>
    /// <value><see langword="null"/>: not set.</value>
    public string? ToolMode { get; set; }

    /// <summary>Gets or sets the response format: <c>text</c>, <c>json</c>, or <c>json:</c> followed by the schema's name.</summary>
    /// <value><see langword="null"/>: not set.</value>
    public string? ResponseFormat { get; set; }

    /// <summary>Gets or sets the tools offered to the model, in the order they were given.</summary>
    /// <value><see langword="null"/>: no tools.</value>
    public IReadOnlyList<ChatCassetteTool>? Tools { get; set; }
}
