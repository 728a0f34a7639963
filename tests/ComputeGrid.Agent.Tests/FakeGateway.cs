using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using ComputeGrid.Contracts.Agents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Agent.Tests;

/// <summary>
/// A data center's sync endpoint on Kestrel (loopback, a free port): checks the bearer credential, reads the request as
/// strictly as the gateway does, records it, and answers what the test's <see cref="Respond"/> says.
/// </summary>
internal sealed class FakeGateway : IAsyncDisposable
{
    public const string Credential = "cg-agent-test-credential";

    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        NumberHandling = JsonNumberHandling.Strict,
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
    };

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<AgentSyncRequest> _requests = [];
    private int _refuse;
    private int _refused;

    private FakeGateway(WebApplication app) => _app = app;

    /// <summary>The answer to each accepted request; by default acknowledge every report and ask for nothing.</summary>
    public Func<AgentSyncRequest, AgentSyncResponse> Respond { get; set; } = request => Answer(request);

    public Uri Url { get; private set; } = null!;

    /// <summary>Accepted requests so far, oldest first.</summary>
    public IReadOnlyList<AgentSyncRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Requests answered 401 so far.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>An answer: acknowledge <paramref name="acknowledge"/> (default every reported job), start and kill as given, sync again after 100 ms.</summary>
    public static AgentSyncResponse Answer(AgentSyncRequest request, IEnumerable<AgentAssignment>? start = null, IEnumerable<string>? kill = null, IEnumerable<string>? acknowledge = null) =>
        new("dc-test", [.. start ?? []], [.. kill ?? []], [.. acknowledge ?? request.Reports.Select(r => r.JobId).Distinct()], TimeSpan.FromMilliseconds(100));

    public static async Task<FakeGateway> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var gateway = new FakeGateway(app);
        app.MapPost("/v1/agent/sync", gateway.SyncAsync);
        await app.StartAsync();
        gateway.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return gateway;
    }

    /// <summary>Answers the next <paramref name="count"/> requests 401, as for a revoked credential.</summary>
    public void RefuseNext(int count) => Volatile.Write(ref _refuse, count);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task SyncAsync(HttpContext context)
    {
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {Credential}" || Interlocked.Decrement(ref _refuse) >= 0)
        {
            Interlocked.Increment(ref _refused);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        AgentSyncRequest request;
        try
        {
            request = (await JsonSerializer.DeserializeAsync<AgentSyncRequest>(context.Request.Body, Strict))!;
        }
        catch (JsonException e)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync(e.Message);
            return;
        }

        lock (_gate)
        {
            _requests.Add(request);
        }

        await context.Response.WriteAsJsonAsync(Respond(request), Strict);
    }
}
