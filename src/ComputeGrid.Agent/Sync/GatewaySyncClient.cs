using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ComputeGrid.Contracts.Agents;

namespace ComputeGrid.Agent.Sync;

/// <summary>The gateway answered a sync with an error status.</summary>
/// <param name="status">The HTTP status.</param>
/// <param name="message">The status and what the gateway said.</param>
internal sealed class SyncRefusedException(HttpStatusCode status, string message) : Exception(message)
{
    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; } = status;

    /// <summary>The credential was refused (401) or may not act (403): revoked, or wrong.</summary>
    public bool IsUnauthorized => Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
}

/// <summary><c>POST v1/agent/sync</c> with <c>Authorization: Bearer</c> the agent credential.</summary>
internal sealed class GatewaySyncClient(HttpClient http, Credential credential)
{
    /// <summary>The sync path, relative to the gateway's base URL.</summary>
    public const string SyncPath = "v1/agent/sync";

    /// <summary>Sends one sync; throws <see cref="SyncRefusedException"/> for an error status, <see cref="JsonException"/> for a body that is no response.</summary>
    public async Task<AgentSyncResponse> SyncAsync(AgentSyncRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(SyncPath, UriKind.Relative))
        {
            Content = JsonContent.Create(request, options: AgentJson.Options),
        };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.Current());
        using var response = await http.SendAsync(message, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new SyncRefusedException(response.StatusCode, $"{(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(body)}");
        }

        return await response.Content.ReadFromJsonAsync<AgentSyncResponse>(AgentJson.Options, cancellationToken)
            ?? throw new JsonException("the sync response is null");
    }

    private static string Shorten(string body) => body.Length <= 300 ? body : body[..300] + "...";
}
