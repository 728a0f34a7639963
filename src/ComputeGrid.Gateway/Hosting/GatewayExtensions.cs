using System.Globalization;
using System.Threading.RateLimiting;
using ComputeGrid.Gateway.Agents;
using ComputeGrid.Gateway.Audit;
using ComputeGrid.Gateway.DataCenters;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Jobs;
using ComputeGrid.Gateway.Loans;
using ComputeGrid.Gateway.OpenApi;
using ComputeGrid.Gateway.Ops;
using ComputeGrid.Gateway.Pool;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
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
            limiter.OnRejected = RejectAsync;
        });

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
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
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
            .ProducesApiProblem(StatusCodes.Status401Unauthorized, StatusCodes.Status429TooManyRequests);
        v1.MapJobsApi().MapExplainApi().MapPoolApi().MapLoansApi().MapDataCentersApi().MapAgentsApi().MapOpsApi().MapApiKeysApi().MapAuditApi();
        endpoints.MapAgentSync();
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
        var tenant = context.User.FindFirst(ApiKeys.TenantClaim)?.Value ?? string.Empty;
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayExtensions));
        LogRateLimited(logger, tenant, seconds);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Problems.Write(context, Problems.Create(
            StatusCodes.Status429TooManyRequests,
            "Too many requests",
            "tenant",
            string.Create(CultureInfo.InvariantCulture, $"has used its requests for this window; retry after {seconds} s")));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate-limited tenant {Tenant} for {Seconds} s")]
    private static partial void LogRateLimited(ILogger logger, string tenant, int seconds);
}
