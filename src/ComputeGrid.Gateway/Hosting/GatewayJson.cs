using System.Text.Json;
using System.Text.Json.Serialization;

namespace ComputeGrid.Gateway.Hosting;

/// <summary>The gateway's JSON settings: camelCase, enums by name, and a strict variant for request bodies.</summary>
internal sealed class GatewayJson
{
    /// <summary>For request bodies: unknown or duplicate fields, numbers in strings, enum numbers and nulls where none is allowed all fail.</summary>
    public JsonSerializerOptions Strict { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        NumberHandling = JsonNumberHandling.Strict,
    });

    /// <summary>Applies the settings every gateway JSON shares (responses and the OpenAPI schemas included): enums by name, numbers as numbers.</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        return options;
    }
}
