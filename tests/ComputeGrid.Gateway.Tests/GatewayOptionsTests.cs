using ComputeGrid.Gateway.Hosting;
using ComputeGrid.Gateway.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Gateway.Tests;

public sealed class GatewayOptionsTests
{
    private static readonly string ValidHash = ApiKeyHash.Of("a key");

    [Theory]
    [InlineData("ApiKeys:acme:Tenant", "Acme Corp", "Gateway:ApiKeys:acme:Tenant")]
    [InlineData("ApiKeys:acme:Tenant", "", "Gateway:ApiKeys:acme:Tenant")]
    [InlineData("ApiKeys:acme:Sha256", "not-a-hash", "Gateway:ApiKeys:acme:Sha256")]
    [InlineData("ApiKeys:acme:Role", "7", "Gateway:ApiKeys:acme:Role")]
    [InlineData("ApiKeyCacheDuration", "00:10:00", "Gateway:ApiKeyCacheDuration")]
    [InlineData("MaxRequestBodyBytes", "10", "Gateway:MaxRequestBodyBytes")]
    [InlineData("RateLimit:PermitLimit", "0", "Gateway:RateLimit:PermitLimit")]
    [InlineData("RateLimit:Window", "00:00:00.100", "Gateway:RateLimit:Window")]
    [InlineData("RateLimit:Tenants:acme", "0", "Gateway:RateLimit:Tenants:acme")]
    public void An_invalid_gateway_setting_fails_start_up_naming_the_setting(string key, string value, string named)
    {
        var result = Validate(new() { [key] = value });

        Assert.True(result.Failed);
        Assert.Contains(named, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_that_overrides_some_fields_without_a_role_fails_start_up_naming_the_role()
    {
        // The override: name, tenant and hash set, the role left out; it must not inherit Operator from anywhere.
        var result = Validate(new() { ["ApiKeys:partner-2:Tenant"] = "acme", ["ApiKeys:partner-2:Sha256"] = ApiKeyHash.Of("another key") });

        Assert.True(result.Failed);
        Assert.Contains("Gateway:ApiKeys:partner-2:Role is required", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_without_a_hash_or_tenant_fails_start_up_naming_each_missing_field()
    {
        var result = Validate(new() { ["ApiKeys:half:Role"] = "Operator" });

        Assert.Contains("Gateway:ApiKeys:half:Tenant", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Gateway:ApiKeys:half:Sha256", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gateway_without_keys_fails_start_up_saying_how_to_add_one()
    {
        var result = new GatewayOptionsValidator(Environment(Environments.Production)).Validate(null, new GatewayOptions());

        Assert.Contains("Gateway:ApiKeys has no key (Production environment)", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Gateway__ApiKeys__ops__Sha256", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DevelopmentKeys.Operator)]
    [InlineData(DevelopmentKeys.PartnerAcme)]
    [InlineData(DevelopmentKeys.PartnerAcmeCommands)]
    public void A_development_key_fails_start_up_outside_development(string developmentKey)
    {
        var overrides = new Dictionary<string, string?> { ["ApiKeys:acme:Sha256"] = ApiKeyHash.Of(developmentKey).ToUpperInvariant() };

        var production = Validate(overrides, Environments.Production);
        var staging = Validate(overrides, Environments.Staging);
        var development = Validate(overrides, Environments.Development);

        Assert.Contains("Gateway:ApiKeys:acme:Sha256 is the hash of a published development key", production.FailureMessage, StringComparison.Ordinal);
        Assert.True(staging.Failed);
        Assert.True(development.Succeeded);
    }

    [Fact]
    public void Two_keys_with_the_same_hash_fail_start_up()
    {
        var result = Validate(new() { ["ApiKeys:twin:Tenant"] = "acme", ["ApiKeys:twin:Role"] = "Partner", ["ApiKeys:twin:Sha256"] = ValidHash.ToUpperInvariant() });

        Assert.Contains("repeats another key's hash", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_key_map_passes()
    {
        Assert.True(Validate([]).Succeeded);
    }

    [Fact]
    public void The_key_hash_is_the_lower_case_hex_sha256_of_the_key()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ApiKeyHash.Of("abc"));
    }

    private static HostingEnvironment Environment(string name) => new() { EnvironmentName = name };

    private static ValidateOptionsResult Validate(Dictionary<string, string?> overrides, string environment = "Production")
    {
        var settings = new Dictionary<string, string?>
        {
            ["ApiKeys:acme:Tenant"] = "acme",
            ["ApiKeys:acme:Role"] = "Partner",
            ["ApiKeys:acme:Sha256"] = ValidHash,
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var options = new GatewayOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().Bind(options);
        return new GatewayOptionsValidator(Environment(environment)).Validate(null, options);
    }
}
