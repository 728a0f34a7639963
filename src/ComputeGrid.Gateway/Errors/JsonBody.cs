using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using ComputeGrid.Domain;
using ComputeGrid.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace ComputeGrid.Gateway.Errors;

/// <summary>
/// Reads a request body strictly: JSON content type, a size limit, no unknown or duplicate fields, enums by name only,
/// and every failure turned into a problem naming the field (a JSON path) and the reason, without internal type names.
/// </summary>
internal sealed partial class JsonBody(GatewayJson json, IOptions<GatewayOptions> options)
{
    private readonly long _maxBytes = options.Value.MaxRequestBodyBytes;

    /// <summary>The body as <typeparamref name="T"/>, or the problem to answer instead.</summary>
    public async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (!IsJson(request.ContentType))
        {
            return (null, TypedResults.Problem(Problems.Create(
                StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type", "must be application/json")));
        }

        if (request.ContentLength > _maxBytes)
        {
            return (null, TooLarge());
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > _maxBytes)
            {
                return (null, TooLarge());
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return (null, Problems.Invalid("body", "is required: a JSON object"));
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), json.Strict);
            return value is null ? (null, Problems.Invalid("body", "must be a JSON object, not null")) : (value, null);
        }
        catch (JsonException e)
        {
            var first = Describe(e, typeof(T), json.Strict);
            var all = CollectAll(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), typeof(T), json.Strict);
            return (null, Problems.Invalid([.. first, .. all.Where(a => !first.Any(f => f.Field == a.Field))]));
        }
    }

    /// <summary>
    /// Every problem of a body the serializer refused, which stops at the first: each field is read on its own against
    /// its declared type, nested request objects field by field, then the required fields that are missing. Empty when
    /// the body is not JSON at all (the serializer's answer says so).
    /// </summary>
    internal static IReadOnlyList<ValidationError> CollectAll(ReadOnlyMemory<byte> body, Type root, JsonSerializerOptions options)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return Collect(document.RootElement, root, string.Empty, options);
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static List<ValidationError> Collect(JsonElement element, Type type, string prefix, JsonSerializerOptions options)
    {
        var at = prefix.Length == 0 ? "body" : prefix.TrimEnd('.');
        if (element.ValueKind != JsonValueKind.Object)
        {
            return [new ValidationError(at, element.ValueKind == JsonValueKind.Null ? "must not be null" : "must be a JSON object")];
        }

        var errors = new List<ValidationError>();
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true })
            .ToDictionary(p => JsonName(p, options), StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var member in element.EnumerateObject())
        {
            var field = prefix + member.Name;
            if (!seen.Add(member.Name))
            {
                errors.Add(new ValidationError(field, "appears more than once"));
            }
            else if (!properties.TryGetValue(member.Name, out var property))
            {
                errors.Add(new ValidationError(field, "is not a field of this request"));
            }
            else if (IsRequestObject(property.PropertyType) && member.Value.ValueKind == JsonValueKind.Object)
            {
                errors.AddRange(Collect(member.Value, property.PropertyType, field + ".", options));
            }
            else if (member.Value.ValueKind == JsonValueKind.Null && !property.PropertyType.IsValueType
                && new NullabilityInfoContext().Create(property).WriteState == NullabilityState.NotNull)
            {
                errors.Add(new ValidationError(field, "must not be null"));
            }
            else
            {
                try
                {
                    JsonSerializer.Deserialize(member.Value, property.PropertyType, options);
                }
                catch (JsonException e)
                {
                    errors.AddRange(Describe(e, property.PropertyType, options).Select(d => d with { Field = Join(field, d.Field) }));
                }
            }
        }

        errors.AddRange(properties
            .Where(p => p.Value.GetCustomAttribute<System.Runtime.CompilerServices.RequiredMemberAttribute>() is not null && !seen.Contains(p.Key))
            .Select(p => new ValidationError(prefix + p.Key, "is required")));
        return errors;
    }

    private static string Join(string field, string inner) =>
        inner == "body" ? field : inner.StartsWith('[') ? field + inner : $"{field}.{inner}";

    private static bool IsRequestObject(Type type) =>
        type.IsClass && type.Assembly == typeof(JsonBody).Assembly && type.GetCustomAttribute<JsonUnmappedMemberHandlingAttribute>() is not null;

    private ProblemHttpResult TooLarge() => TypedResults.Problem(Problems.Create(
        StatusCodes.Status413PayloadTooLarge, "Request body too large", "body", string.Create(CultureInfo.InvariantCulture, $"must be at most {_maxBytes} bytes")));

    /// <summary>Only <c>application/json</c> (any case), with no charset or UTF-8: no other <c>+json</c> type, as documented.</summary>
    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        && (!media.Charset.HasValue || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    /// <summary>Turns a serializer failure into fields and reasons, with the serializer's own words (and type names) left out.</summary>
    internal static IReadOnlyList<ValidationError> Describe(JsonException e, Type root, JsonSerializerOptions options)
    {
        var path = ToField(e.Path);
        if (e.InnerException is JsonException)
        {
            var line = (e.LineNumber ?? 0) + 1;
            var position = (e.BytePositionInLine ?? 0) + 1;
            return [new ValidationError("body", string.Create(CultureInfo.InvariantCulture, $"is not valid JSON (line {line}, byte {position})"))];
        }

        var message = e.Message;
        if (message.Contains("missing required properties", StringComparison.Ordinal))
        {
            var listed = message[(message.IndexOf("including:", StringComparison.Ordinal) + "including:".Length)..];
            var prefix = path == "body" ? string.Empty : path + ".";
            return [.. QuotedName().Matches(listed).Select(m => new ValidationError(prefix + m.Groups[1].Value, "is required"))];
        }

        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return [new ValidationError(path, "is not a field of this request")];
        }

        if (message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
        {
            return [new ValidationError(path, "appears more than once")];
        }

        if (message.Contains("null", StringComparison.Ordinal) && !message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return [new ValidationError(path, "must not be null")];
        }

        return [new ValidationError(path, Expected(TypeAt(root, e.Path, options)))];
    }

    private static string ToField(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$")
        {
            return "body";
        }

        var field = BracketName().Replace(jsonPath, ".$1");
        return field.StartsWith("$.", StringComparison.Ordinal) ? field[2..] : field.TrimStart('$');
    }

    private static Type? TypeAt(Type root, string? jsonPath, JsonSerializerOptions options)
    {
        var type = root;
        foreach (Match segment in PathSegment().Matches(ToField(jsonPath) == "body" ? string.Empty : ToField(jsonPath)))
        {
            if (segment.Groups["index"].Success)
            {
                type = ElementType(type);
            }
            else if (type is not null && DictionaryValueType(type) is { } valueType)
            {
                type = valueType;
            }
            else
            {
                var name = segment.Groups["name"].Value;
                type = type?.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                    .FirstOrDefault(p => string.Equals(JsonName(p, options), name, StringComparison.Ordinal))?.PropertyType;
            }

            if (type is null)
            {
                return null;
            }
        }

        return type;
    }

    private static string JsonName(PropertyInfo property, JsonSerializerOptions options) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? options.PropertyNamingPolicy?.ConvertName(property.Name) ?? property.Name;

    private static Type? ElementType(Type? type) =>
        type is null ? null
        : type.IsArray ? type.GetElementType()
        : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[^1]
        : null;

    private static Type? DictionaryValueType(Type type) =>
        type.IsGenericType && type.GetGenericArguments().Length == 2 && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[1] : null;

    private static string Expected(Type? type)
    {
        var t = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        return t switch
        {
            null => "has a value of the wrong type",
            { IsEnum: true } => $"must be one of {string.Join(", ", Enum.GetNames(t))}",
            _ when t == typeof(int) || t == typeof(long) => "must be a whole number within range",
            _ when t == typeof(double) => "must be a number",
            _ when t == typeof(decimal) => "must be a finite number within range",
            _ when t == typeof(string) => "must be a string",
            _ when t == typeof(bool) => "must be true or false",
            _ when t == typeof(DateTimeOffset) || t == typeof(DateTime) => "must be an ISO 8601 date and time with an offset (2026-12-08T09:00:00Z)",
            _ when t == typeof(TimeSpan) => "must be a duration (hh:mm:ss)",
            _ when DictionaryValueType(t) is not null => "must be an object",
            _ when ElementType(t) is not null => "must be an array",
            _ => "must be a JSON object",
        };
    }

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex QuotedName();

    [GeneratedRegex(@"\['([^']*)'\]")]
    private static partial Regex BracketName();

    [GeneratedRegex(@"(?<name>[^.\[\]]+)|\[(?<index>\d+)\]")]
    private static partial Regex PathSegment();
}
