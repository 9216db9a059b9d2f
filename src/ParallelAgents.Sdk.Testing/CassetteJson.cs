using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ParallelAgents.Sdk;

/// <summary>
/// The cassette's JSON settings, in one place so that writing and reading never disagree. The attribute and
/// <see cref="Context"/> carry the same settings; the attribute's copy is what the source generator reads.
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(ChatCassette))]
internal sealed partial class CassetteJson : JsonSerializerContext
{
    /// <summary>
    /// The context used everywhere. The relaxed encoder keeps prompts readable in the file (no <c>\u0027</c> for every
    /// apostrophe); the file is never embedded in HTML, where that encoder would matter.
    /// </summary>
    public static CassetteJson Context { get; } = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
