using System.Net.Http.Json;
using System.Text.Json;

namespace ComputeGrid.Ops;

/// <summary>A failed gateway call: the status and the problem's field and reason.</summary>
internal sealed class GatewayCallException(string message) : Exception(message);

/// <summary>Calls the REST gateway with an operator's API key and reads JSON answers.</summary>
internal sealed class GatewayConnection(HttpClient http) : IDisposable
{
    /// <summary>The API-key header of the gateway.</summary>
    public const string KeyHeader = "X-API-Key";

    /// <summary>A connection to <paramref name="baseUrl"/> sending <paramref name="apiKey"/>; <paramref name="handler"/> replaces the network in tests.</summary>
    public static GatewayConnection Create(Uri baseUrl, string apiKey, HttpMessageHandler? handler)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = baseUrl;
        http.Timeout = TimeSpan.FromSeconds(30);
        http.DefaultRequestHeaders.Add(KeyHeader, apiKey);
        return new GatewayConnection(http);
    }

    /// <summary>GET <paramref name="path"/> as JSON.</summary>
    public async Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) =>
        await ReadAsync(await http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken), cancellationToken);

    /// <summary>GET <paramref name="path"/> as text of <paramref name="mediaType"/> (a statement's CSV); a problem answer throws as <see cref="GetAsync"/> does.</summary>
    public async Task<string> GetTextAsync(string path, string mediaType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Accept.ParseAdd(mediaType);
        var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            await ReadAsync(response, cancellationToken);
        }

        using (response)
        {
            return await response.Content.ReadAsStringAsync(cancellationToken);
        }
    }

    /// <summary>POST <paramref name="path"/> with an optional JSON body; the answer's JSON, or an empty object for 204.</summary>
    public async Task<JsonElement> PostAsync(string path, string? jsonBody, CancellationToken cancellationToken)
    {
        using var content = jsonBody is null ? null : new StringContent(jsonBody, System.Text.Encoding.UTF8, "application/json");
        return await ReadAsync(await http.PostAsync(new Uri(path, UriKind.Relative), content, cancellationToken), cancellationToken);
    }

    /// <summary>DELETE <paramref name="path"/>.</summary>
    public async Task<JsonElement> DeleteAsync(string path, CancellationToken cancellationToken) =>
        await ReadAsync(await http.DeleteAsync(new Uri(path, UriKind.Relative), cancellationToken), cancellationToken);

    public void Dispose() => http.Dispose();

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return response.Content.Headers.ContentLength == 0 || response.StatusCode == System.Net.HttpStatusCode.NoContent
                    ? JsonDocument.Parse("{}").RootElement
                    : await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var why = text;
            try
            {
                var problem = JsonDocument.Parse(text).RootElement;
                why = $"{Str(problem, "field")} {Str(problem, "reason")}".Trim();
            }
            catch (JsonException)
            {
                // Not a problem document (a proxy's page, say): show the text as it came.
            }

            throw new GatewayCallException($"{(int)response.StatusCode} {response.ReasonPhrase}: {why}");
        }
    }

    private static string Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
}
