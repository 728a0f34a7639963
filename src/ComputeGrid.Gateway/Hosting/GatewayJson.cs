using System.Text.Json;
using System.Text.Json.Serialization;

namespace ComputeGrid.Gateway.Hosting;

/// <summary>The gateway's JSON settings: camelCase, enums by name, and a strict variant for request bodies.</summary>
internal sealed class GatewayJson
{
    /// <summary>
    /// For request bodies: unknown or duplicate fields, numbers in strings, nulls where none is allowed and enum values
    /// other than one exact name (no numbers, no other case, no comma-separated lists) all fail.
    /// </summary>
    public JsonSerializerOptions Strict { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        NumberHandling = JsonNumberHandling.Strict,
        Converters = { new ExactEnumConverterFactory() },
    });

    /// <summary>Applies the settings every gateway JSON shares (responses and the OpenAPI schemas included): enums by name, numbers as numbers.</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        return options;
    }
}

/// <summary>
/// Reads an enum from exactly one of its names, case-sensitive. <see cref="JsonStringEnumConverter"/> also reads
/// "Cheapest,Fastest" (as flags, for any enum) and any case; requests must name one documented value.
/// </summary>
internal sealed class ExactEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(ExactEnumConverter<>).MakeGenericType(typeToConvert))!;

    private sealed class ExactEnumConverter<T> : JsonConverter<T>
        where T : struct, Enum
    {
        private readonly Dictionary<string, T> _byName = Enum.GetNames<T>().ToDictionary(n => n, Enum.Parse<T>, StringComparer.Ordinal);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && reader.GetString() is { } name && _byName.TryGetValue(name, out var value)
                ? value
                : throw new JsonException();

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}
