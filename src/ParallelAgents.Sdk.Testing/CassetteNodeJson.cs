using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ParallelAgents.Sdk;

/// <summary>Serializes the JSON trees used for redaction and for matching, without reflection.</summary>
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class CassetteNodeJson : JsonSerializerContext;
