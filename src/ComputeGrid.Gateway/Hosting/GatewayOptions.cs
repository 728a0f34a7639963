using System.Globalization;
using ComputeGrid.Gateway.Security;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Gateway.Hosting;

/// <summary>The REST gateway's settings (section <c>Gateway</c>; environment variables <c>Gateway__Name</c>).</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Gateway";

    /// <summary>The API keys that may call the gateway; at least one. Keys are stored as SHA-256 hashes, never in clear.</summary>
    public IList<ApiKeyOptions> ApiKeys { get; } = [];

    /// <summary>Largest request body accepted, bytes; default 65,536 (64 KiB). Larger bodies answer 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Per-tenant rate limits.</summary>
    public RateLimitOptions RateLimit { get; set; } = new();
}

/// <summary>One partner's or operator's API key.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>A name for logs, for example <c>acme-prod</c>; never the key itself.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The tenant the key acts for: 1-64 characters of a-z, 0-9 and '-'. Jobs submitted with the key belong to it.</summary>
    public string Tenant { get; set; } = string.Empty;

    /// <summary>Partner (jobs, hubs, pool) or Operator (also registers, drains, resumes and removes data centers); default Partner.</summary>
    public GatewayRole Role { get; set; } = GatewayRole.Partner;

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

/// <summary>Fails start-up with the setting's name and the reason.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        if (options.ApiKeys.Count == 0)
        {
            failures.Add("Gateway:ApiKeys must list at least one key");
        }

        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"Gateway:ApiKeys:{i}");
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                failures.Add($"{at}:Name must not be empty");
            }

            if (!TenantNames.IsValid(key.Tenant))
            {
                failures.Add($"{at}:Tenant must be 1-64 characters of a-z, 0-9 and '-' (was '{key.Tenant}')");
            }

            if (!Enum.IsDefined(key.Role))
            {
                failures.Add($"{at}:Role must be Partner or Operator (was '{key.Role}')");
            }

            if (!ApiKeyHash.IsHash(key.Sha256))
            {
                failures.Add($"{at}:Sha256 must be 64 hexadecimal characters, the SHA-256 of the key");
            }
            else if (!hashes.Add(key.Sha256))
            {
                failures.Add($"{at}:Sha256 repeats another key's hash");
            }
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
}
