using System.Text.Json;
using System.Text.Json.Serialization;

namespace ComputeGrid.Agent.Sync;

/// <summary>The gateway's JSON: Web defaults (camelCase), enums by name only, numbers as numbers, time spans as <c>c</c> strings.</summary>
internal static class AgentJson
{
    /// <summary>For the sync request and response, and the state file.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
    };
}
