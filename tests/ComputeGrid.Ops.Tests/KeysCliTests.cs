using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Spectre.Console.Testing;

namespace ComputeGrid.Ops.Tests;

/// <summary>cg-ops keys and audit against the real silo host.</summary>
[Collection(SiloHostCollection.Name)]
public sealed partial class KeysCliTests(SiloHostFixture host)
{
    [Fact]
    public async Task Keys_issue_list_rotate_and_revoke_manage_a_partners_key_and_audit_shows_each_change()
    {
        var tenant = $"cli-{Guid.NewGuid():n}"[..20];

        var (issuedCode, issued) = await RunAsync("keys", "issue", tenant, "--name", "cli-prod", "--expires-in-days", "30");
        var secret = Secret().Match(issued).Value;
        var keyId = KeyId().Match(issued).Value;
        using var partner = host.Client(secret);
        using var read = await partner.GetAsync(new Uri("v1/tenant", UriKind.Relative));
        var (_, listed) = await RunAsync("keys", "list", tenant);
        var (rotatedCode, rotated) = await RunAsync("keys", "rotate", tenant, keyId, "--grace-seconds", "600");
        var (revokedCode, revoked) = await RunAsync("keys", "revoke", tenant, KeyId().Matches(rotated)[0].Value);
        var (auditCode, audit) = await RunAsync("audit", "--limit", "5");

        Assert.True(issuedCode == 0, issued);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Contains(keyId, listed, StringComparison.Ordinal);
        Assert.Contains("Active", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
        Assert.True(rotatedCode == 0, rotated);
        Assert.Contains($"the old key {keyId} stops working at", rotated, StringComparison.Ordinal);
        Assert.True(revokedCode == 0, revoked);
        Assert.True(auditCode == 0, audit);
        Assert.Contains("api-key.revoke", audit, StringComparison.Ordinal);
        Assert.Contains("api-key.rotate", audit, StringComparison.Ordinal);
        Assert.Contains("api-key.issue", audit, StringComparison.Ordinal);
        Assert.Contains("operator (operators)", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_on_keys_and_audit_prints_the_gateways_answers()
    {
        var tenant = $"cli-{Guid.NewGuid():n}"[..20];

        var (issuedCode, issued) = await RunAsync("--json", "keys", "issue", tenant, "--name", "j1");
        var keyId = JsonDocument.Parse(issued).RootElement.GetProperty("keyId").GetString()!;
        var (_, listed) = await RunAsync("--json", "keys", "list", tenant);
        var (_, rotated) = await RunAsync("keys", "rotate", tenant, keyId, "--json");
        var replacementId = JsonDocument.Parse(rotated).RootElement.GetProperty("replacement").GetProperty("keyId").GetString()!;
        var (revokedCode, revoked) = await RunAsync("--json", "keys", "revoke", tenant, replacementId);
        var (_, audit) = await RunAsync("--json", "audit", "--limit", "2");

        Assert.True(issuedCode == 0, issued);
        Assert.StartsWith("cgk_", JsonDocument.Parse(issued).RootElement.GetProperty("secret").GetString(), StringComparison.Ordinal);
        Assert.Equal(keyId, JsonDocument.Parse(listed).RootElement[0].GetProperty("keyId").GetString());
        Assert.Equal(keyId, JsonDocument.Parse(rotated).RootElement.GetProperty("replaced").GetProperty("keyId").GetString());
        Assert.True(revokedCode == 0, revoked);
        Assert.Equal(replacementId, JsonDocument.Parse(revoked).RootElement.GetProperty("keyId").GetString());
        Assert.Equal(2, JsonDocument.Parse(audit).RootElement.GetProperty("entries").GetArrayLength());
    }

    [Fact]
    public async Task Keys_issue_with_a_bad_tenant_exits_1_naming_the_field()
    {
        var (code, output) = await RunAsync("keys", "issue", "Not-A-Tenant", "--name", "x");

        Assert.Equal(1, code);
        Assert.Contains("tenant", output, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var code = await OpsCli.RunAsync(["--url", host.BaseAddress.ToString(), .. args], console, handler: null, CancellationToken.None);
        return (code, console.Output);
    }

    [GeneratedRegex("cgk_[0-9a-f]{64}")]
    private static partial Regex Secret();

    [GeneratedRegex("k-[0-9a-f]{12}")]
    private static partial Regex KeyId();
}
