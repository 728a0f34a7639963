using System.Globalization;
using System.Threading.RateLimiting;
using ComputeGrid.Gateway.Agents;
using ComputeGrid.Gateway.Audit;
using ComputeGrid.Gateway.DataCenters;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Gangs;
using ComputeGrid.Gateway.JobArrays;
using ComputeGrid.Gateway.Jobs;
using ComputeGrid.Gateway.Loans;
using ComputeGrid.Gateway.Market;
using ComputeGrid.Gateway.OpenApi;
using ComputeGrid.Gateway.Ops;
using ComputeGrid.Gateway.Pool;
using ComputeGrid.Gateway.Reservations;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace ComputeGrid.Gateway.Hosting;

/// <summary>Registers, wires and maps the REST gateway. The host must also register <c>IComputeGridClient</c> (the SDK).</summary>
public static partial class GatewayExtensions
{
    /// <summary>The development partner key that <c>/docs</c> fills in and names in the Development environment (docs/api.md).</summary>
    public const string DocsDevelopmentKey = "cg-dev-partner-acme";

    /// <summary>The per-tenant rate-limiting policy of the <c>/v1</c> group.</summary>
    public const string RateLimitPolicy = "computegrid-tenant";

    /// <summary>
    /// A rate-limiting policy keyed by the client's address, <c>Gateway:RateLimit:AnonymousPermitLimit</c> requests per
    /// window, for endpoints that take no API key (an agent's sync, which the global limiter leaves alone). The global
    /// limiter applies the same limit to every other request to the gateway's paths that carries no valid key.
    /// </summary>
    public const string AnonymousRateLimitPolicy = "computegrid-anonymous";

    /// <summary>The paths the anonymous limit covers: the gateway's own (the silo's health probe and management port are not).</summary>
    private static readonly PathString[] GatewayPaths = ["/v1", "/ops", "/docs", "/openapi"];

    /// <summary>
    /// Registers the gateway's services: options bound from section <c>Gateway</c> (then <paramref name="configure"/>) and
    /// validated at start-up, API-key authentication, the partner and operator policies, per-tenant rate limits,
    /// ProblemDetails for every error, and the OpenAPI document.
    /// </summary>
    public static IServiceCollection AddComputeGridGateway(this IServiceCollection services, Action<GatewayOptions>? configure = null)
    {
        var options = services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<GatewayJson>();
        services.AddSingleton<JsonBody>();
        services.AddSingleton<IssuedKeyCache>();
        services.ConfigureHttpJsonOptions(o => GatewayJson.Configure(o.SerializerOptions));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.NameTheField);
        services.AddExceptionHandler<GatewayExceptionHandler>();

        services.AddAuthentication(ApiKeys.Scheme).AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeys.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeys.PartnerPolicy, p => p.AddAuthenticationSchemes(ApiKeys.Scheme).RequireClaim(ApiKeys.TenantClaim))
            .AddPolicy(ApiKeys.OperatorPolicy, p => p.AddAuthenticationSchemes(ApiKeys.Scheme).RequireRole(nameof(GatewayRole.Operator)));

        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(RateLimitPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.RateLimit;
                var tenant = context.User.FindFirst(ApiKeys.TenantClaim)?.Value ?? string.Empty;
                return RateLimitPartition.GetFixedWindowLimiter(tenant, t => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = settings.PermitLimitOf(t),
                    Window = settings.Window,
                    QueueLimit = 0,
                });
            });
            limiter.AddPolicy(AnonymousRateLimitPolicy, ByClientAddress);
            // Endpoints that allow anonymous callers carry their own credential and choose their own limit (an agent's sync).
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.User.Identity?.IsAuthenticated != true
                && GatewayPaths.Any(p => context.Request.Path.StartsWithSegments(p))
                && context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null
                    ? ByClientAddress(context)
                    : RateLimitPartition.GetNoLimiter(string.Empty));
            limiter.OnRejected = RejectAsync;
        });
        services.Configure<KestrelServerOptions>(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.Use(KestrelProblems.Use)));

        services.AddAgentSync();
        services.AddOpenApi(GatewayOpenApi.DocumentName, GatewayOpenApi.Configure);
        return services;
    }

    /// <summary>
    /// Adds the gateway's middleware: errors as ProblemDetails (exceptions and empty error responses alike), API-key
    /// authentication and authorization, then the per-tenant rate limiter. Call before mapping endpoints.
    /// </summary>
    public static IApplicationBuilder UseComputeGridGateway(this IApplicationBuilder app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(RequestPaths.RefuseControlCharactersAsync);
        app.UseAuthentication();
        app.UseRateLimiter();
        app.Use(AuthenticateFirstAsync);
        app.UseAuthorization();
        return app;
    }

    /// <summary>
    /// Without a valid key, every <c>/v1</c> request answers 401, whatever else is wrong with it: an unknown path, a
    /// method the path does not have, a wrong content type. Only endpoints that allow anonymous callers (an agent's
    /// sync, with its own credential) are let through.
    /// </summary>
    private static Task AuthenticateFirstAsync(HttpContext context, RequestDelegate next) =>
        context.Request.Path.StartsWithSegments("/v1")
        && context.User.Identity?.IsAuthenticated != true
        && context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null
            ? context.ChallengeAsync(ApiKeys.Scheme)
            : next(context);

    private static RateLimitPartition<string> ByClientAddress(HttpContext context)
    {
        var settings = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.RateLimit;
        return RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? string.Empty, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = settings.AnonymousPermitLimit,
            Window = settings.Window,
            QueueLimit = 0,
        });
    }

    /// <summary>
    /// Maps the <c>/v1</c> API (jobs, hubs, pool, loans, operators' data centers and federation feed), the OpenAPI
    /// document at <c>/openapi/v1.json</c>, the API reference at <c>/docs</c> and the operators' page at <c>/ops</c>.
    /// </summary>
    public static RouteGroupBuilder MapComputeGridGateway(this IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1")
            .RequireAuthorization(ApiKeys.PartnerPolicy)
            .RequireRateLimiting(RateLimitPolicy)
            .AddEndpointFilterFactory(QueryParameters.Only)
            .ProducesApiProblem(StatusCodes.Status401Unauthorized, StatusCodes.Status429TooManyRequests);
        v1.MapJobsApi().MapExplainApi().MapPoolApi().MapLoansApi().MapDataCentersApi().MapAgentsApi().MapOpsApi().MapApiKeysApi().MapAuditApi().MapJobArraysApi().MapMarketApi().MapGangsApi().MapReservationsApi();
        endpoints.MapAgentSync();
        endpoints.MapProviderApi();
        endpoints.MapOpsPage();

        endpoints.MapOpenApi("/openapi/{documentName}.json");
        // The reference only: no AI chat, MCP, deploy or SDK-generation toolbar, no telemetry, and the API key field says
        // which key to use instead of Scalar's joke placeholder (in Development it holds the development partner key).
        endpoints.MapScalarApiReference("/docs", (o, context) =>
        {
            var development = context.RequestServices.GetService<IHostEnvironment>()?.IsDevelopment() == true;
            o.WithTitle("ComputeGrid REST API")
                .DisableDefaultFonts()
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .DisableAgent()
                .DisableMcp()
                .HideDeveloperTools()
                .AddPreferredSecuritySchemes([ApiKeys.Scheme])
                .AddApiKeyAuthentication(ApiKeys.Scheme, key => key.Value = development ? DocsDevelopmentKey : string.Empty)
                .WithCustomCss("input::placeholder { color: transparent; }")
                .AddHeaderContent(development
                    ? $"<p class=\"cg-docs-key\">Development silo: the X-API-Key field holds the development partner key <code>{DocsDevelopmentKey}</code> (tenant acme); operators' routes take <code>cg-dev-operator</code>. Neither works outside Development.</p>"
                    : "<p class=\"cg-docs-key\">Put the API key your operators issued you in the X-API-Key field (Authentication).</p>");
            o.Telemetry = false;
        });
        return v1;
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? (int)Math.Ceiling(retryAfter.TotalSeconds) : 1;
        seconds = Math.Max(1, seconds);
        var tenant = context.User.FindFirst(ApiKeys.TenantClaim)?.Value;
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayExtensions));
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        if (tenant is null)
        {
            LogRateLimitedAddress(logger, context.Connection.RemoteIpAddress, seconds);
            await Problems.Write(context, Problems.Create(
                StatusCodes.Status429TooManyRequests,
                ApiKeys.Header,
                string.Create(CultureInfo.InvariantCulture, $"is missing or not valid, and this address has used its requests without a valid key for this window; retry after {seconds} s")));
            return;
        }

        LogRateLimited(logger, tenant, seconds);
        await Problems.Write(context, Problems.Create(
            StatusCodes.Status429TooManyRequests,
            "tenant",
            string.Create(CultureInfo.InvariantCulture, $"has used its requests for this window; retry after {seconds} s")));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate-limited tenant {Tenant} for {Seconds} s")]
    private static partial void LogRateLimited(ILogger logger, string tenant, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate-limited requests without a valid key from {Address} for {Seconds} s")]
    private static partial void LogRateLimitedAddress(ILogger logger, System.Net.IPAddress? address, int seconds);
}
