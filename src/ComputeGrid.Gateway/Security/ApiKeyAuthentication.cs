using System.Security.Claims;
using System.Text.Encodings.Web;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Gateway.Security;

/// <summary>Names used by API-key authentication and the gateway's authorization policies.</summary>
public static class ApiKeys
{
    /// <summary>The authentication scheme.</summary>
    public const string Scheme = "ApiKey";

    /// <summary>The request header that carries the key.</summary>
    public const string Header = "X-API-Key";

    /// <summary>The claim that carries the key's tenant.</summary>
    public const string TenantClaim = "computegrid/tenant";

    /// <summary>The claim present (value <c>true</c>) when the key may submit jobs with a command.</summary>
    public const string CommandsClaim = "computegrid/commands";

    /// <summary>Any valid key (partner or operator).</summary>
    public const string PartnerPolicy = "computegrid-partner";

    /// <summary>Operator keys only.</summary>
    public const string OperatorPolicy = "computegrid-operator";

    /// <summary>The caller's tenant; only inside endpoints that require a key.</summary>
    public static string TenantOf(ClaimsPrincipal user) =>
        user.FindFirstValue(TenantClaim) ?? throw new InvalidOperationException("The endpoint does not require an API key.");
}

/// <summary>Authenticates the <c>X-API-Key</c> header against the configured key hashes; answers 401 and 403 as ProblemDetails.</summary>
internal sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<GatewayOptions> gateway)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    private readonly Dictionary<string, ApiKeyOptions> _byHash =
        gateway.Value.ApiKeys.ToDictionary(k => k.Sha256.ToLowerInvariant(), StringComparer.Ordinal);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ApiKeys.Header, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (values.Count > 1 || !_byHash.TryGetValue(ApiKeyHash.Of(values[0]!), out var key))
        {
            LogUnknownKey(Logger, Request.Method, Request.Path.Value ?? string.Empty);
            return Task.FromResult(AuthenticateResult.Fail("unknown API key"));
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, key.Name),
                new Claim(ApiKeys.TenantClaim, key.Tenant),
                new Claim(ClaimTypes.Role, key.Role.ToString()),
                .. key.AllowCommands ? [new Claim(ApiKeys.CommandsClaim, "true")] : Array.Empty<Claim>(),
            ],
            ApiKeys.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiKeys.Scheme)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = $"{ApiKeys.Scheme} header=\"{ApiKeys.Header}\"";
        return Problems.Write(Context, Problems.Create(
            StatusCodes.Status401Unauthorized,
            "Unauthorized",
            ApiKeys.Header,
            Request.Headers.ContainsKey(ApiKeys.Header) ? "is not a valid API key" : "is required: send your API key in the X-API-Key header"));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.Write(Context, Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", ApiKeys.Header, "belongs to a partner; this endpoint is for operators"));

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused an unknown API key on {Method} {Path}")]
    private static partial void LogUnknownKey(ILogger logger, string method, string path);
}
