using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>The JSON conventions of the shared memory's typed helpers.</summary>
internal static class SharedMemoryJson
{
    /// <summary>camelCase names, as the original's <c>agent_memory.json</c> readers expect of JSON.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
