using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ComputeGrid.Gateway.Tests;

/// <summary>Request bodies for tests.</summary>
internal static class Bodies
{
    /// <summary>A valid job: 4 cores, 8 GiB, one hour, Batch, Fastest (runs at home), from yangtze.</summary>
    public static JsonObject Job(long runTimeSeconds = 3600) => new()
    {
        ["originHub"] = "yangtze",
        ["resources"] = new JsonObject { ["cpuMillicores"] = 4000, ["memoryMiB"] = 8192 },
        ["runTimeSeconds"] = runTimeSeconds,
        ["latencyClass"] = "Batch",
        ["policy"] = "Fastest",
    };

    /// <summary>A valid data center in inner-mongolia with its own GPU model.</summary>
    public static JsonObject DataCenter(string id) => new()
    {
        ["id"] = id,
        ["name"] = $"Test {id}",
        ["hubId"] = "inner-mongolia",
        ["location"] = new JsonObject { ["lat"] = 40.38, ["lon"] = 111.82 },
        ["capacity"] = new JsonObject { ["cpuMillicores"] = 64000, ["memoryMiB"] = 262144, ["gpus"] = new JsonObject { ["TEST-GW"] = 8 } },
        ["energy"] = new JsonObject { ["pue"] = 1.2, ["gridKgCo2PerKwh"] = 0.6849, ["greenShare"] = 0.8, ["priceCnyPerKwh"] = 0.38 },
    };

    public static JsonObject With(this JsonObject body, Action<JsonObject> change)
    {
        var copy = (JsonObject)body.DeepClone();
        change(copy);
        return copy;
    }

    public static StringContent Json(this JsonNode body) => Raw(body.ToJsonString(), "application/json");

    public static StringContent Raw(string body, string? contentType)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    public static async Task<HttpResponseMessage> SubmitAsync(this HttpClient http, JsonNode body, string? idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = body.Json() };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await http.SendAsync(request);
    }

    public static string NewKey(string prefix) => $"{prefix}-{Guid.NewGuid():n}";
}
