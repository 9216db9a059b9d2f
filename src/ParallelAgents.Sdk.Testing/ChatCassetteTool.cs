using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>A tool offered to the model in a recorded request.</summary>
public sealed class ChatCassetteTool
{
    /// <summary>Gets or sets the tool's name, as the model sees it.</summary>
    /// <value>An empty string.</value>
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets the tool's description.</summary>
    /// <value><see langword="null"/>: none.</value>
    public string? Description { get; set; }

    /// <summary>Gets or sets the JSON schema of a function tool's parameters.</summary>
    /// <value><see langword="null"/> for a tool that is not a function, such as a hosted tool.</value>
    public JsonElement? JsonSchema { get; set; }
}
