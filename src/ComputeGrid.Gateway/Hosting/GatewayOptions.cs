using System.Text.RegularExpressions;
using ComputeGrid.Gateway.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Gateway.Hosting;

/// <summary>The REST gateway's settings (section <c>Gateway</c>; environment variables <c>Gateway__Name</c>).</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Gateway";

    /// <summary>
    /// The configured (bootstrap) API keys by name (<c>Gateway:ApiKeys:&lt;name&gt;:Tenant|Role|Sha256|AllowCommands</c>);
    /// at least one. Kept as SHA-256 hashes, never in clear. Partners' keys are issued through the API instead
    /// (<c>/v1/tenants/{tenant}/api-keys</c>) and kept in the pool.
    /// </summary>
    public IDictionary<string, ApiKeyOptions> ApiKeys { get; } = new Dictionary<string, ApiKeyOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// How long the gateway trusts an issued key it has looked up in the pool before it asks again; default 10 s, 0..5 min
    /// (0: ask on every request). A key revoked through this gateway stops at once; through another gateway or the SDK,
    /// within this time.
    /// </summary>
    public TimeSpan ApiKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest request body accepted, bytes; default 65,536 (64 KiB). Larger bodies answer 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Per-tenant rate limits.</summary>
    public RateLimitOptions RateLimit { get; set; } = new();
}

/// <summary>One configured API key (its name is its entry's name in <see cref="GatewayOptions.ApiKeys"/>); every field but AllowCommands is required.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The tenant the key acts for: 1-64 characters of a-z, 0-9 and '-'. Jobs submitted with the key belong to it.</summary>
    public string Tenant { get; set; } = string.Empty;

    /// <summary>
    /// Partner (jobs, hubs, pool) or Operator (also data centers, agents, API keys and the audit log). Required: no default,
    /// so an entry that overrides only some fields cannot inherit a role.
    /// </summary>
    public GatewayRole? Role { get; set; }

    /// <summary>SHA-256 of the key's UTF-8 bytes as 64 hexadecimal characters (<c>printf %s KEY | sha256sum</c>).</summary>
    public string Sha256 { get; set; } = string.Empty;

    /// <summary>
    /// Whether the key may submit jobs with a command (real processes run by data-center agents); default false. Without
    /// it a job with a command answers 403 naming the field.
    /// </summary>
    public bool AllowCommands { get; set; }
}

/// <summary>Fixed-window request limits per tenant: every key of a tenant shares its tenant's window.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests a tenant may make per window; default 600. Requests beyond answer 429 with Retry-After.</summary>
    public int PermitLimit { get; set; } = 600;

    /// <summary>The window's length; default one minute. At least one second.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Requests per window from one client address without a valid API key (no key, an unknown key) to the gateway's
    /// paths (<c>/v1</c>, <c>/ops</c>, <c>/docs</c>, <c>/openapi</c>); default 120. Requests beyond answer 429 with
    /// Retry-After before any 401. Behind a proxy every client shares the proxy's address.
    /// </summary>
    public int AnonymousPermitLimit { get; set; } = 120;

    /// <summary>Per-tenant overrides of <see cref="PermitLimit"/>, by tenant; default none.</summary>
    public IDictionary<string, int> Tenants { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>The limit that applies to <paramref name="tenant"/>.</summary>
    public int PermitLimitOf(string tenant) => Tenants.TryGetValue(tenant, out var limit) ? limit : PermitLimit;
}

/// <summary>
/// Fails start-up with the setting's name and the reason. Outside the Development environment a key whose hash is a
/// development key's is refused: those keys are published in the documentation.
/// </summary>
internal sealed partial class GatewayOptionsValidator(IHostEnvironment environment) : IValidateOptions<GatewayOptions>
{
    /// <summary>What to do when no key is configured, quoted in the failure.</summary>
    public const string HowToAddAKey =
        "add an operator key, for example with the environment variables Gateway__ApiKeys__ops__Tenant=operators, Gateway__ApiKeys__ops__Role=Operator " +
        "and Gateway__ApiKeys__ops__Sha256=<the SHA-256 of your key: printf %s \"$KEY\" | sha256sum> (README.md, REST gateway), " +
        "or run in Development (ASPNETCORE_ENVIRONMENT=Development) for the development keys";

    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        if (options.ApiKeys.Count == 0)
        {
            failures.Add($"Gateway:ApiKeys has no key ({environment.EnvironmentName} environment): {HowToAddAKey}");
        }

        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (keyName, key) in options.ApiKeys.OrderBy(k => k.Key, StringComparer.OrdinalIgnoreCase))
        {
            var at = $"Gateway:ApiKeys:{keyName}";
            if (!KeyName().IsMatch(keyName))
            {
                failures.Add($"{at}: the key's name must be 1-64 characters of letters, digits, '-' and '_'");
            }

            if (key is null)
            {
                failures.Add($"{at} must set Tenant, Role and Sha256");
                continue;
            }

            if (!TenantNames.IsValid(key.Tenant))
            {
                failures.Add($"{at}:Tenant must be 1-64 characters of a-z, 0-9 and '-' (was '{key.Tenant}')");
            }

            if (key.Role is not { } role)
            {
                failures.Add($"{at}:Role is required: Partner or Operator");
            }
            else if (!Enum.IsDefined(role))
            {
                failures.Add($"{at}:Role must be Partner or Operator (was '{role}')");
            }

            if (!ApiKeyHash.IsHash(key.Sha256))
            {
                failures.Add($"{at}:Sha256 must be 64 hexadecimal characters, the SHA-256 of the key");
            }
            else if (!hashes.Add(key.Sha256))
            {
                failures.Add($"{at}:Sha256 repeats another key's hash");
            }
            else if (!environment.IsDevelopment() && DevelopmentKeys.IsDevelopmentHash(key.Sha256))
            {
                failures.Add($"{at}:Sha256 is the hash of a published development key, which works only in the Development environment; generate a key of your own (openssl rand -hex 32)");
            }
        }

        if (options.ApiKeyCacheDuration < TimeSpan.Zero || options.ApiKeyCacheDuration > TimeSpan.FromMinutes(5))
        {
            failures.Add($"Gateway:ApiKeyCacheDuration must be between 00:00:00 and 00:05:00 (was {options.ApiKeyCacheDuration})");
        }

        if (options.MaxRequestBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            failures.Add($"Gateway:MaxRequestBodyBytes must be between 1024 and 16777216 (was {options.MaxRequestBodyBytes})");
        }

        if (options.RateLimit.PermitLimit < 1)
        {
            failures.Add($"Gateway:RateLimit:PermitLimit must be at least 1 (was {options.RateLimit.PermitLimit})");
        }

        if (options.RateLimit.AnonymousPermitLimit < 1)
        {
            failures.Add($"Gateway:RateLimit:AnonymousPermitLimit must be at least 1 (was {options.RateLimit.AnonymousPermitLimit})");
        }

        if (options.RateLimit.Window < TimeSpan.FromSeconds(1))
        {
            failures.Add($"Gateway:RateLimit:Window must be at least 00:00:01 (was {options.RateLimit.Window})");
        }

        foreach (var (tenant, limit) in options.RateLimit.Tenants.Where(t => t.Value < 1))
        {
            failures.Add($"Gateway:RateLimit:Tenants:{tenant} must be at least 1 (was {limit})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex KeyName();
}
