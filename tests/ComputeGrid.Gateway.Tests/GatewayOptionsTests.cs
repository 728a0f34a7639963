using ComputeGrid.Gateway.Hosting;
using ComputeGrid.Gateway.Security;
using Microsoft.Extensions.Configuration;

namespace ComputeGrid.Gateway.Tests;

public sealed class GatewayOptionsTests
{
    private static readonly string ValidHash = ApiKeyHash.Of("a key");

    [Theory]
    [InlineData("ApiKeys:0:Tenant", "Acme Corp", "Gateway:ApiKeys:0:Tenant")]
    [InlineData("ApiKeys:0:Tenant", "", "Gateway:ApiKeys:0:Tenant")]
    [InlineData("ApiKeys:0:Sha256", "not-a-hash", "Gateway:ApiKeys:0:Sha256")]
    [InlineData("ApiKeys:0:Name", "", "Gateway:ApiKeys:0:Name")]
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
    public void A_gateway_without_keys_fails_start_up()
    {
        var result = new GatewayOptionsValidator().Validate(null, new GatewayOptions());

        Assert.Contains("Gateway:ApiKeys must list at least one key", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_keys_with_the_same_hash_fail_start_up()
    {
        var result = Validate(new() { ["ApiKeys:1:Name"] = "twin", ["ApiKeys:1:Tenant"] = "acme", ["ApiKeys:1:Sha256"] = ValidHash.ToUpperInvariant() });

        Assert.Contains("Gateway:ApiKeys:1:Sha256 repeats", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_key_list_passes()
    {
        Assert.True(Validate([]).Succeeded);
    }

    [Fact]
    public void The_key_hash_is_the_lower_case_hex_sha256_of_the_key()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ApiKeyHash.Of("abc"));
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(Dictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ApiKeys:0:Name"] = "acme",
            ["ApiKeys:0:Tenant"] = "acme",
            ["ApiKeys:0:Role"] = "Partner",
            ["ApiKeys:0:Sha256"] = ValidHash,
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var options = new GatewayOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().Bind(options);
        return new GatewayOptionsValidator().Validate(null, options);
    }
}
