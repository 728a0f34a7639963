using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComputeGrid.Gateway.Security;

namespace ComputeGrid.Gateway.Tests;

/// <summary>Partner keys issued, listed, rotated and revoked by operators over HTTP, and how the gateway authenticates them.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ApiKeysApiTests(GatewayFixture fixture)
{
    private static readonly TimeSpan Bound = GatewayFixture.IssuedKeyCacheDuration + TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_issued_key_authenticates_as_its_tenant_and_its_secret_is_shown_only_in_the_issue_answer()
    {
        var tenant = Tenant("issued");
        using var operators = fixture.Client("operator");

        var issued = await IssueAsync(operators, tenant, """{"name":"prod","allowCommands":true,"expiresInDays":30}""");
        var secret = issued.GetProperty("secret").GetString()!;
        using var partner = KeyClient(secret);
        using var tenantRead = await partner.GetAsync("/v1/tenant");
        using var listed = await operators.GetAsync($"/v1/tenants/{tenant}/api-keys");
        var listText = await listed.Content.ReadAsStringAsync();
        using var opsRoute = await partner.GetAsync("/v1/ops/federation");

        Assert.StartsWith("cgk_", secret, StringComparison.Ordinal);
        Assert.Equal(tenant, (await tenantRead.JsonAsync()).GetProperty("tenant").GetString());
        var key = Assert.Single(JsonDocument.Parse(listText).RootElement.EnumerateArray());
        Assert.Equal(issued.GetProperty("keyId").GetString(), key.GetProperty("keyId").GetString());
        Assert.Equal("Active", key.GetProperty("state").GetString());
        Assert.True(key.GetProperty("allowCommands").GetBoolean());
        Assert.Equal(issued.GetProperty("createdAt").GetDateTimeOffset().AddDays(30), key.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.DoesNotContain(secret, listText, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKeyHash.Of(secret), listText, StringComparison.Ordinal);
        Assert.False(key.TryGetProperty("secret", out _));
        await opsRoute.AssertProblemAsync(403, "X-API-Key");
    }

    [Fact]
    public async Task A_key_without_the_command_permission_may_neither_submit_nor_quote_a_command()
    {
        using var operators = fixture.Client("operator");
        var secret = (await IssueAsync(operators, Tenant("nocmd"), """{"name":"plain"}""")).GetProperty("secret").GetString()!;
        using var partner = KeyClient(secret);
        var job = Bodies.Job().With(b => b["command"] = new JsonObject { ["executable"] = "sh", ["arguments"] = new JsonArray("-c", "true") });

        using var submitted = await partner.SubmitAsync(job, Bodies.NewKey("cmd"));
        using var quoted = await partner.PostAsync("/v1/quotes", job.Json());

        await submitted.AssertProblemAsync(403, "command", "may not submit jobs with a command");
        await quoted.AssertProblemAsync(403, "command", "may not submit jobs with a command");
    }

    [Fact]
    public async Task A_revoked_key_answers_401_at_once_on_the_gateway_that_revoked_it()
    {
        var tenant = Tenant("revoked");
        using var operators = fixture.Client("operator");
        var issued = await IssueAsync(operators, tenant, """{"name":"soon-gone"}""");
        using var partner = KeyClient(issued.GetProperty("secret").GetString()!);
        using var before = await partner.GetAsync("/v1/tenant");

        using var revoked = await operators.DeleteAsync($"/v1/tenants/{tenant}/api-keys/{issued.GetProperty("keyId").GetString()}");
        using var after = await partner.GetAsync("/v1/tenant");
        using var listed = await operators.GetAsync($"/v1/tenants/{tenant}/api-keys");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        await after.AssertProblemAsync(401, "X-API-Key");
        Assert.Equal("Revoked", (await listed.JsonAsync())[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_key_revoked_elsewhere_stops_working_within_the_cache_duration()
    {
        var tenant = Tenant("elsewhere");
        using var operators = fixture.Client("operator");
        var issued = await IssueAsync(operators, tenant, """{"name":"cached"}""");
        using var partner = KeyClient(issued.GetProperty("secret").GetString()!);
        using var before = await partner.GetAsync("/v1/tenant");
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        // Through the SDK, as another gateway would: this gateway learns of it only when its cache entry lapses.
        await fixture.Grid.Admin.RevokeApiKeyAsync(tenant, issued.GetProperty("keyId").GetString()!);

        await Eventually.TrueAsync(async () => (await partner.GetAsync("/v1/tenant")).StatusCode == HttpStatusCode.Unauthorized, "the revoked key is refused", Bound);
    }

    [Fact]
    public async Task A_rotated_key_works_through_its_grace_then_stops_while_its_replacement_keeps_working()
    {
        var tenant = Tenant("rotated");
        using var operators = fixture.Client("operator");
        var issued = await IssueAsync(operators, tenant, """{"name":"rolling","expiresInDays":10}""");
        var keyId = issued.GetProperty("keyId").GetString()!;
        using var old = KeyClient(issued.GetProperty("secret").GetString()!);

        using var rotated = await operators.PostAsync($"/v1/tenants/{tenant}/api-keys/{keyId}/rotate", Bodies.Raw("""{"graceSeconds":3600}""", "application/json"));
        var rotation = await rotated.JsonAsync();
        using var replacement = KeyClient(rotation.GetProperty("replacement").GetProperty("secret").GetString()!);
        using var oldInGrace = await old.GetAsync("/v1/tenant");
        using var again = await operators.PostAsync($"/v1/tenants/{tenant}/api-keys/{keyId}/rotate", content: null);

        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, oldInGrace.StatusCode);
        Assert.Equal(rotation.GetProperty("replacement").GetProperty("keyId").GetString(), rotation.GetProperty("replaced").GetProperty("replacedBy").GetString());
        Assert.Equal("rolling", rotation.GetProperty("replacement").GetProperty("name").GetString());
        await again.AssertProblemAsync(409, "keyId", "already rotated");

        fixture.Time.Advance(TimeSpan.FromHours(2));

        await Eventually.TrueAsync(async () => (await old.GetAsync("/v1/tenant")).StatusCode == HttpStatusCode.Unauthorized, "the old key stops after its grace", Bound);
        using var replacementRead = await replacement.GetAsync("/v1/tenant");
        Assert.Equal(HttpStatusCode.OK, replacementRead.StatusCode);
    }

    [Fact]
    public async Task A_rotation_without_grace_revokes_the_old_key_at_once()
    {
        var tenant = Tenant("rotate-now");
        using var operators = fixture.Client("operator");
        var issued = await IssueAsync(operators, tenant, """{"name":"now"}""");
        using var old = KeyClient(issued.GetProperty("secret").GetString()!);
        using var warm = await old.GetAsync("/v1/tenant");

        using var rotated = await operators.PostAsync($"/v1/tenants/{tenant}/api-keys/{issued.GetProperty("keyId").GetString()}/rotate", content: null);
        using var after = await old.GetAsync("/v1/tenant");

        Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        await after.AssertProblemAsync(401, "X-API-Key");
    }

    [Fact]
    public async Task An_expired_key_fails_authentication()
    {
        var tenant = Tenant("expiring");
        using var operators = fixture.Client("operator");
        var issued = await IssueAsync(operators, tenant, """{"name":"short","expiresInDays":1}""");
        using var partner = KeyClient(issued.GetProperty("secret").GetString()!);
        using var before = await partner.GetAsync("/v1/tenant");
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        fixture.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));

        await Eventually.TrueAsync(async () => (await partner.GetAsync("/v1/tenant")).StatusCode == HttpStatusCode.Unauthorized, "the expired key is refused", Bound);
        using var listed = await operators.GetAsync($"/v1/tenants/{tenant}/api-keys");
        Assert.Equal("Expired", (await listed.JsonAsync())[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_made_up_key_of_the_issued_form_answers_401()
    {
        using var partner = KeyClient("cgk_" + new string('a', 64));

        using var response = await partner.GetAsync("/v1/tenant");

        await response.AssertProblemAsync(401, "X-API-Key");
    }

    [Theory]
    [InlineData("POST", "/v1/tenants/Acme Corp/api-keys", """{"name":"x"}""", 400, "tenant")]
    [InlineData("POST", "/v1/tenants/acme/api-keys", """{"allowCommands":true}""", 400, "name")]
    [InlineData("POST", "/v1/tenants/acme/api-keys", """{"name":""}""", 400, "name")]
    [InlineData("POST", "/v1/tenants/acme/api-keys", """{"name":"x","expiresInDays":0}""", 400, "expiresInDays")]
    [InlineData("POST", "/v1/tenants/acme/api-keys", """{"name":"x","expiresInDays":"30"}""", 400, "expiresInDays")]
    [InlineData("POST", "/v1/tenants/acme/api-keys", """{"name":"x","role":"Operator"}""", 400, "role")]
    [InlineData("POST", "/v1/tenants/acme/api-keys/k-000000000000/rotate", """{"graceSeconds":-1}""", 400, "graceSeconds")]
    [InlineData("POST", "/v1/tenants/acme/api-keys/k-000000000000/rotate", null, 404, "keyId")]
    [InlineData("DELETE", "/v1/tenants/acme/api-keys/k-000000000000", null, 404, "keyId")]
    [InlineData("GET", "/v1/tenants/-acme/api-keys", null, 400, "tenant")]
    public async Task Bad_key_requests_answer_a_problem_naming_the_field(string method, string path, string? body, int status, string field)
    {
        using var operators = fixture.Client("operator");
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : Bodies.Raw(body, "application/json") };

        using var response = await operators.SendAsync(request);

        await response.AssertProblemAsync(status, field);
    }

    [Theory]
    [InlineData("GET", "/v1/tenants/acme/api-keys")]
    [InlineData("POST", "/v1/tenants/acme/api-keys")]
    [InlineData("POST", "/v1/tenants/acme/api-keys/k-000000000000/rotate")]
    [InlineData("DELETE", "/v1/tenants/acme/api-keys/k-000000000000")]
    [InlineData("GET", "/v1/audit")]
    public async Task Key_management_and_the_audit_log_answer_403_to_a_partner(string method, string path)
    {
        using var partner = fixture.Client("acme");
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "POST" ? Bodies.Raw("""{"name":"mine"}""", "application/json") : null,
        };

        using var response = await partner.SendAsync(request);

        await response.AssertProblemAsync(403, "X-API-Key");
        Assert.Empty(await fixture.Grid.Admin.ListApiKeysAsync("acme"));
    }

    private static string Tenant(string prefix) => $"{prefix}-{Guid.NewGuid():n}"[..24];

    private HttpClient KeyClient(string secret)
    {
        var http = new HttpClient { BaseAddress = fixture.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add(ApiKeys.Header, secret);
        return http;
    }

    private static async Task<JsonElement> IssueAsync(HttpClient operators, string tenant, string body)
    {
        using var response = await operators.PostAsync($"/v1/tenants/{tenant}/api-keys", Bodies.Raw(body, "application/json"));
        var json = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToString());
        return json;
    }
}
