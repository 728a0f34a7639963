using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using ComputeGrid.Client;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace ComputeGrid.Gateway.Agents;

/// <summary>
/// Data-center agents: operators issue, list and revoke their credentials (<c>/v1/data-centers/{id}/agents</c>); agents
/// sync with <c>POST /v1/agent/sync</c>, authenticated by their own bearer credential (an API key is not one).
/// </summary>
public static class AgentsApi
{
    /// <summary>The path agents sync on.</summary>
    public const string SyncPath = "/v1/agent/sync";

    /// <summary>Registers the agent sync's rate limit per client address (section <c>Gateway:AgentSync</c>), validated at start-up.</summary>
    public static IServiceCollection AddAgentSync(this IServiceCollection services)
    {
        services.AddOptions<AgentSyncOptions>().BindConfiguration(AgentSyncOptions.Section)
            .Validate(o => o.Burst >= 1 && o.PerSecond >= 1, $"{AgentSyncOptions.Section}:Burst and {AgentSyncOptions.Section}:PerSecond must each be at least 1")
            .ValidateOnStart();
        return services;
    }

    /// <summary>Maps the operators' agent endpoints onto <paramref name="v1"/> (the <c>/v1</c> group).</summary>
    public static RouteGroupBuilder MapAgentsApi(this RouteGroupBuilder v1)
    {
        var agents = v1.MapGroup("/data-centers/{dataCenterId}/agents")
            .WithTags("Operators")
            .RequireAuthorization(ApiKeys.OperatorPolicy)
            .ProducesApiProblem(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);

        agents.MapPost("/", IssueAsync)
            .WithName("IssueAgentCredential")
            .WithSummary("Issue an agent credential (operators)")
            .WithDescription(
                "Issues a credential for a new agent of the data center that runs the commands of the listed tenants ('*' for every tenant). " +
                "The token is shown only in this answer; keep it in the agent's credential file. From then on the data center hands jobs with a command to its agents, " +
                "and goes Offline (its jobs placed again elsewhere) when none of them syncs within the heartbeat timeout.")
            .AcceptsJson<IssueAgentBody>()
            .Produces<AgentCredentialView>(StatusCodes.Status201Created)
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

        agents.MapGet("/", ListAsync)
            .WithName("ListAgents")
            .WithSummary("List a data center's agents (operators)")
            .WithDescription("Every agent of the data center, revoked ones included, with its last sync, whether it is online, what it reported and how many jobs it runs.");

        agents.MapDelete("/{agentId}", RevokeAsync)
            .WithName("RevokeAgentCredential")
            .WithSummary("Revoke an agent credential (operators)")
            .WithDescription("Its next sync answers 401; the jobs it held are placed again elsewhere.");
        return v1;
    }

    /// <summary>Maps <c>POST /v1/agent/sync</c>: outside the API-key group, authenticated by the agent credential.</summary>
    public static IEndpointRouteBuilder MapAgentSync(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(SyncPath, SyncAsync)
            .AllowAnonymous()
            .RequireRateLimiting(new AgentSyncRateLimitPolicy())
            .WithTags("Agents")
            .WithName("SyncAgent")
            .WithSummary("Sync an agent with its data center (agents)")
            .WithDescription(
                "Authorization: Bearer <agent credential>. The agent sends its whole state (the jobs it runs, the reports not yet acknowledged) and gets " +
                "the jobs to start, the jobs to kill, the reports now durably recorded (forget them) and when to sync next. Lost requests and answers are " +
                "repaired by the next sync; each sync renews the agent's lease on its jobs. The credential is checked before the body, and " +
                "requests are rate-limited per client address. Partner and operator API keys are not agent credentials.")
            .AcceptsJson<AgentSyncRequest>()
            .Produces<AgentSyncResponse>(StatusCodes.Status200OK)
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests);
        return endpoints;
    }

    private static async Task<Results<Created<AgentCredentialView>, ProblemHttpResult>> IssueAsync(
        string dataCenterId, HttpRequest request, ClaimsPrincipal user, IComputeGridClient grid, JsonBody json, CancellationToken cancellationToken)
    {
        if (!DataCenterRules.IsValidId(dataCenterId))
        {
            return NoDataCenter();
        }

        var (body, problem) = await json.ReadAsync<IssueAgentBody>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            var credential = await grid.Admin.As(ApiKeys.ActorOf(user)).IssueAgentAsync(dataCenterId, body!.Name, body.AllowedTenants ?? [], cancellationToken);
            return TypedResults.Created(
                $"/v1/data-centers/{dataCenterId}/agents/{credential.AgentId}",
                new AgentCredentialView(credential.AgentId, credential.DataCenterId, credential.Token));
        }
        catch (ComputeGridNotFoundException)
        {
            return NoDataCenter();
        }
        catch (ComputeGridValidationException e)
        {
            return Problems.Invalid(e.Errors);
        }
    }

    private static async Task<Results<Ok<IReadOnlyList<AgentInfo>>, ProblemHttpResult>> ListAsync(string dataCenterId, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        if (!DataCenterRules.IsValidId(dataCenterId))
        {
            return NoDataCenter();
        }

        try
        {
            return TypedResults.Ok(await grid.Admin.ListAgentsAsync(dataCenterId, cancellationToken));
        }
        catch (ComputeGridNotFoundException)
        {
            return NoDataCenter();
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(string dataCenterId, string agentId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        if (!DataCenterRules.IsValidId(dataCenterId))
        {
            return NoDataCenter();
        }

        try
        {
            await grid.Admin.As(ApiKeys.ActorOf(user)).RevokeAgentAsync(dataCenterId, agentId, cancellationToken);
            return TypedResults.NoContent();
        }
        catch (ComputeGridNotFoundException e)
        {
            return Problems.NotFound(e.Message.Contains("agent", StringComparison.Ordinal) ? "agentId" : "dataCenterId", e.Message);
        }
    }

    private static async Task<Results<Ok<AgentSyncResponse>, ProblemHttpResult>> SyncAsync(
        HttpRequest request, IComputeGridClient grid, JsonBody json, CancellationToken cancellationToken)
    {
        var header = request.Headers[HeaderNames.Authorization].ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
        if (!AgentCredential.TryParse(token, out _, out _, out _))
        {
            return Unauthorized("must be 'Bearer <agent credential>' (cga.<dataCenterId>.<agentId>.<secret>)");
        }

        try
        {
            // The credential first: a caller without one learns nothing about the body it sent.
            await grid.Admin.AuthenticateAgentAsync(token!, cancellationToken);
            var (body, problem) = await json.ReadAsync<AgentSyncRequest>(request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            return TypedResults.Ok(await grid.Admin.SyncAgentAsync(token!, body!, cancellationToken));
        }
        catch (ComputeGridUnauthorizedException e)
        {
            return Unauthorized(e.Message);
        }
        catch (ComputeGridValidationException e)
        {
            return Problems.Invalid(e.Errors);
        }
    }

    private static ProblemHttpResult Unauthorized(string reason) =>
        TypedResults.Problem(Problems.Create(StatusCodes.Status401Unauthorized, "Unauthorized", "Authorization", reason));

    private static ProblemHttpResult NoDataCenter() =>
        Problems.NotFound("dataCenterId", "no data center with this id; GET /v1/hubs/{hubId}/data-centers lists them");
}

/// <summary>The agent sync's rate limit: a token bucket per client address, so a flood of made-up credentials is cut off before any is checked.</summary>
public sealed class AgentSyncOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Gateway:AgentSync";

    /// <summary>Syncs one client address may send at once (the bucket's size). Default 100.</summary>
    public int Burst { get; set; } = 100;

    /// <summary>Syncs per second one client address may keep sending (the bucket's refill). Default 10: five agents syncing every 2 s use one.</summary>
    public int PerSecond { get; set; } = 10;
}

/// <summary>The rate-limiting policy of <c>POST /v1/agent/sync</c>: partitioned by the client's address, answered with a 429 problem.</summary>
internal sealed class AgentSyncRateLimitPolicy : IRateLimiterPolicy<string>
{
    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = RejectAsync;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var limits = httpContext.RequestServices.GetRequiredService<IOptions<AgentSyncOptions>>().Value;
        var address = httpContext.Connection.RemoteIpAddress?.ToString() ?? string.Empty;
        return RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.Burst,
            TokensPerPeriod = limits.PerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Problems.Write(context, Problems.Create(
            StatusCodes.Status429TooManyRequests,
            "Too many requests",
            "clientAddress",
            string.Create(CultureInfo.InvariantCulture, $"has sent too many agent syncs; retry after {seconds} s")));
    }
}

/// <summary>A new agent credential's settings.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class IssueAgentBody
{
    /// <summary>The operators' name for the agent (its host, say), 1..64 printable characters.</summary>
    /// <example>guian-node-01</example>
    public required string Name { get; init; }

    /// <summary>Tenants whose commands the agent runs; ["*"] for every tenant.</summary>
    /// <example>["acme"]</example>
    public IReadOnlyList<string>? AllowedTenants { get; init; }
}

/// <summary>A new agent credential: the token is shown only here.</summary>
/// <param name="AgentId">The agent's id within its data center.</param>
/// <param name="DataCenterId">The data center it acts for.</param>
/// <param name="Token">The bearer credential for <c>POST /v1/agent/sync</c>.</param>
public sealed record AgentCredentialView(string AgentId, string DataCenterId, string Token);
