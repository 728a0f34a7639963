using System.Security.Claims;
using System.Text.Encodings.Web;
using ComputeGrid.Contracts.Audit;
using ComputeGrid.Domain.Security;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
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

    /// <summary>The caller as the audit log names it: the key's name (configured keys) or id (issued keys) and its tenant.</summary>
    public static AuditActor ActorOf(ClaimsPrincipal user) =>
        new(user.FindFirstValue(ClaimTypes.Name) ?? "unknown", user.FindFirstValue(TenantClaim));

    /// <summary>
    /// The 403 of a job with a command (<paramref name="field"/> names it) from a key that may not run commands; null when
    /// the job has none or the key may. Submissions, arrays and quotes share it, so a quote is refused what a submission is.
    /// </summary>
    internal static ProblemHttpResult? ForbidCommand(ClaimsPrincipal user, bool hasCommand, string field) =>
        hasCommand && !user.HasClaim(CommandsClaim, "true")
            ? TypedResults.Problem(Problems.Create(
                StatusCodes.Status403Forbidden, "Forbidden", field, "this API key may not submit jobs with a command; ask the operators for the permission"))
            : null;
}

/// <summary>
/// Authenticates the <c>X-API-Key</c> header: first against the configured (bootstrap) key hashes, then, for a key of the
/// issued form (<c>cgk_...</c>), against the keys issued through the API (<see cref="IssuedKeyCache"/>). Expired and
/// revoked issued keys fail. Answers 401 and 403 as ProblemDetails.
/// </summary>
internal sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<GatewayOptions> gateway,
    IssuedKeyCache issued)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    private readonly Dictionary<string, (string Name, ApiKeyOptions Key)> _byHash =
        gateway.Value.ApiKeys.ToDictionary(k => k.Value.Sha256.ToLowerInvariant(), k => (k.Key, k.Value), StringComparer.Ordinal);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ApiKeys.Header, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return AuthenticateResult.NoResult();
        }

        var secret = values[0]!;
        var hash = ApiKeyHash.Of(secret);
        if (values.Count == 1 && _byHash.TryGetValue(hash, out var configured))
        {
            return Success(configured.Name, configured.Key.Tenant, configured.Key.Role ?? GatewayRole.Partner, configured.Key.AllowCommands);
        }

        if (values.Count == 1 && ApiKeyRules.IsIssuedForm(secret) && await issued.FindAsync(hash, Context.RequestAborted) is { } key)
        {
            return Success(key.KeyId, key.Tenant, GatewayRole.Partner, key.AllowCommands);
        }

        LogUnknownKey(Logger, Request.Method, Request.Path.Value ?? string.Empty);
        return AuthenticateResult.Fail("unknown API key");
    }

    private static AuthenticateResult Success(string name, string tenant, GatewayRole role, bool allowCommands)
    {
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, name),
                new Claim(ApiKeys.TenantClaim, tenant),
                new Claim(ClaimTypes.Role, role.ToString()),
                .. allowCommands ? [new Claim(ApiKeys.CommandsClaim, "true")] : Array.Empty<Claim>(),
            ],
            ApiKeys.Scheme);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiKeys.Scheme));
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
