using System.Net;
using System.Text.Json;

namespace ComputeGrid.Gateway.Tests;

/// <summary>Every admin action, over REST or through the SDK, is in the audit log operators read with GET /v1/audit.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AuditApiTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Every_admin_action_over_rest_is_audited_with_its_time_actor_target_and_outcome()
    {
        using var operators = fixture.Client("operator");
        var dc = $"audit-{Guid.NewGuid():n}"[..20];
        var tenant = $"audit-{Guid.NewGuid():n}"[..20];
        var at = fixture.Time.GetUtcNow();

        using var registered = await operators.PostAsync("/v1/data-centers", Bodies.DataCenter(dc).Json());
        using var drained = await operators.PostAsync($"/v1/data-centers/{dc}/drain", content: null);
        using var resumed = await operators.PostAsync($"/v1/data-centers/{dc}/resume", content: null);
        using var agent = await operators.PostAsync($"/v1/data-centers/{dc}/agents", Bodies.Raw("""{"name":"node-1","allowedTenants":["acme"]}""", "application/json"));
        var agentId = (await agent.JsonAsync()).GetProperty("agentId").GetString();
        using var agentRevoked = await operators.DeleteAsync($"/v1/data-centers/{dc}/agents/{agentId}");
        using var removed = await operators.DeleteAsync($"/v1/data-centers/{dc}");
        using var issued = await operators.PostAsync($"/v1/tenants/{tenant}/api-keys", Bodies.Raw("""{"name":"audited"}""", "application/json"));
        var keyId = (await issued.JsonAsync()).GetProperty("keyId").GetString();
        using var rotated = await operators.PostAsync($"/v1/tenants/{tenant}/api-keys/{keyId}/rotate", content: null);
        var newKeyId = (await rotated.JsonAsync()).GetProperty("replacement").GetProperty("keyId").GetString();
        using var keyRevoked = await operators.DeleteAsync($"/v1/tenants/{tenant}/api-keys/{newKeyId}");
        using var refused = await operators.PostAsync("/v1/data-centers/no-such-dc-here/drain", content: null);

        var entries = await ReadAsync(operators, 30);
        var mine = entries.Where(e => e.Target.StartsWith(dc, StringComparison.Ordinal) || e.Target.StartsWith(tenant, StringComparison.Ordinal) || e.Target == "no-such-dc-here").ToList();

        Assert.Equal(
            [
                ("data-center.drain", "no-such-dc-here", "Refused"),
                ("api-key.revoke", $"{tenant}/{newKeyId}", "Succeeded"),
                ("api-key.rotate", $"{tenant}/{keyId}", "Succeeded"),
                ("api-key.issue", tenant, "Succeeded"),
                ("data-center.remove", dc, "Succeeded"),
                ("agent.revoke", $"{dc}/{agentId}", "Succeeded"),
                ("agent.issue", dc, "Succeeded"),
                ("data-center.resume", dc, "Succeeded"),
                ("data-center.drain", dc, "Succeeded"),
                ("data-center.register", dc, "Succeeded"),
            ],
            mine.Select(e => (e.Action, e.Target, e.Outcome)));
        Assert.All(mine, e => Assert.Equal(("operator", "operators"), (e.Actor, e.ActorTenant)));
        Assert.All(mine, e => Assert.True(e.At >= at, $"{e.At} is the federation clock's time"));
        Assert.True(mine.Zip(mine.Skip(1)).All(p => p.First.Sequence > p.Second.Sequence), "newest first");
        Assert.Contains(keyId!, mine.Single(e => e.Action == "api-key.issue").Detail, StringComparison.Ordinal);
        Assert.Contains(newKeyId!, mine.Single(e => e.Action == "api-key.rotate").Detail, StringComparison.Ordinal);
        Assert.Contains(agentId!, mine.Single(e => e.Action == "agent.issue").Detail, StringComparison.Ordinal);
        Assert.Contains("no data center", mine[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repeat_cancel_of_a_reservation_already_cancelled_answers_the_same_and_writes_no_second_audit_entry()
    {
        var dc = $"audit-rsv-{Guid.NewGuid():n}"[..20];
        await fixture.Grid.Admin.RegisterDataCenterAsync(new Domain.Topology.DataCenterSpec(
            dc, "Audit reservations", "inner-mongolia", new Domain.Topology.GeoPoint(40.38, 111.82),
            Domain.Resources.ResourceVector.Of(8_000, 32_768), new Domain.Topology.EnergyProfile(1.2, 0.6849, 0.8, 0.38)));
        using var operators = fixture.Client("operator");
        var key = Bodies.NewKey("audit");
        var now = fixture.Time.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/reservations")
        {
            Content = Bodies.Raw($$"""{"tenant":"acme","resources":{"cpuMillicores":1000,"memoryMiB":1024},"dataCenterId":"{{dc}}","start":"{{now.AddHours(1):O}}","end":"{{now.AddHours(2):O}}"}""", "application/json"),
        };
        request.Headers.Add("Idempotency-Key", key);
        using var made = await operators.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);

        using var first = await operators.PostAsync($"/v1/reservations/acme.{key}/cancel", content: null);
        using var again = await operators.PostAsync($"/v1/reservations/acme.{key}/cancel", content: null);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, again.StatusCode));
        var (firstView, againView) = (await first.JsonAsync(), await again.JsonAsync());
        Assert.Equal(firstView.GetProperty("cancelledAt").GetDateTimeOffset(), againView.GetProperty("cancelledAt").GetDateTimeOffset());
        var cancels = (await ReadAsync(operators, 50)).Where(e => e.Target == $"acme.{key}").Select(e => e.Action).ToList();
        Assert.Equal(["reservation.cancel", "reservation.create"], cancels);
    }

    [Fact]
    public async Task A_repeat_revoke_of_an_api_key_already_revoked_answers_the_same_and_writes_no_second_audit_entry()
    {
        using var operators = fixture.Client("operator");
        var tenant = $"audit-{Guid.NewGuid():n}"[..20];
        using var issued = await operators.PostAsync($"/v1/tenants/{tenant}/api-keys", Bodies.Raw("""{"name":"twice"}""", "application/json"));
        var keyId = (await issued.JsonAsync()).GetProperty("keyId").GetString();

        using var first = await operators.DeleteAsync($"/v1/tenants/{tenant}/api-keys/{keyId}");
        using var again = await operators.DeleteAsync($"/v1/tenants/{tenant}/api-keys/{keyId}");

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent), (first.StatusCode, again.StatusCode));
        var entries = (await ReadAsync(operators, 50)).Where(e => e.Target == $"{tenant}/{keyId}").Select(e => e.Action).ToList();
        Assert.Equal(["api-key.revoke"], entries);
    }

    [Fact]
    public async Task A_repeat_cancel_of_a_job_already_cancelled_answers_the_same_and_writes_no_audit_entry_nor_event()
    {
        using var operators = fixture.Client("operator");
        using var acme = fixture.Client("acme");
        using var submitted = await acme.PostAsync("/v1/jobs", Bodies.Job().Json());
        var jobId = (await submitted.JsonAsync()).GetProperty("jobId").GetString()!;

        using var first = await operators.PostAsync($"/v1/jobs/{Uri.EscapeDataString(jobId)}/cancel", content: null);
        using var again = await operators.PostAsync($"/v1/jobs/{Uri.EscapeDataString(jobId)}/cancel", content: null);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, again.StatusCode));
        Assert.Equal("Cancelled", (await again.JsonAsync()).GetProperty("state").GetString());
        Assert.Single((await fixture.Grid.GetJobAsync(jobId)).History, e => e.State == Domain.Jobs.JobState.Cancelled);
        Assert.DoesNotContain(await ReadAsync(operators, 50), e => e.Target == jobId);
    }

    [Fact]
    public async Task An_audit_entry_stores_a_long_target_cut_to_128_characters()
    {
        using var operators = fixture.Client("operator");
        var id = $"long-{Guid.NewGuid():n}-" + new string('x', 3000);

        using var refused = await operators.PostAsync("/v1/data-centers", Bodies.DataCenter(id).Json());

        var entry = (await ReadAsync(operators, 30)).Single(e => e.Target.StartsWith(id[..40], StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(("data-center.register", "Refused"), (entry.Action, entry.Outcome));
        Assert.Equal(id[..128] + "\u2026", entry.Target);
    }

    [Fact]
    public async Task An_admin_action_through_the_sdk_is_audited_as_sdk()
    {
        var tenant = $"audit-sdk-{Guid.NewGuid():n}"[..24];

        var issued = await fixture.Grid.Admin.IssueApiKeyAsync(tenant, "from-an-app");

        using var operators = fixture.Client("operator");
        var entry = (await ReadAsync(operators, 50)).First(e => e.Target == tenant);
        Assert.Equal(("sdk", (string?)null, "api-key.issue", "Succeeded"), (entry.Actor, entry.ActorTenant, entry.Action, entry.Outcome));
        Assert.Contains(issued.Key.KeyId, entry.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_audit_log_pages_newest_first_with_an_opaque_cursor()
    {
        for (var i = 0; i < 5; i++)
        {
            await fixture.Grid.Admin.IssueApiKeyAsync($"audit-page-{i}", "paging");
        }

        using var operators = fixture.Client("operator");
        using var first = await operators.GetAsync("/v1/audit?limit=2");
        var firstPage = await first.JsonAsync();
        var cursor = firstPage.GetProperty("nextCursor").GetString();
        using var second = await operators.GetAsync($"/v1/audit?limit=2&cursor={cursor}");
        var secondPage = await second.JsonAsync();
        using var badCursor = await operators.GetAsync("/v1/audit?cursor=abc");
        using var badLimit = await operators.GetAsync("/v1/audit?limit=0");

        var sequences = firstPage.GetProperty("entries").EnumerateArray().Concat(secondPage.GetProperty("entries").EnumerateArray())
            .Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(4, sequences.Count);
        Assert.Equal(sequences.OrderDescending(), sequences);
        Assert.Equal(sequences[0] - 3, sequences[3]);
        Assert.Equal("audit-page-4", firstPage.GetProperty("entries")[0].GetProperty("target").GetString());
        await badCursor.AssertProblemAsync(400, "cursor");
        await badLimit.AssertProblemAsync(400, "limit");
    }

    private static async Task<List<Entry>> ReadAsync(HttpClient operators, int limit)
    {
        using var response = await operators.GetAsync($"/v1/audit?limit={limit}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.JsonAsync()).GetProperty("entries").EnumerateArray().Select(Entry.Of)];
    }

    private sealed record Entry(long Sequence, DateTimeOffset At, string Actor, string? ActorTenant, string Action, string Target, string Outcome, string Detail)
    {
        public static Entry Of(JsonElement e) => new(
            e.GetProperty("sequence").GetInt64(),
            e.GetProperty("at").GetDateTimeOffset(),
            e.GetProperty("actor").GetString()!,
            e.GetProperty("actorTenant").GetString(),
            e.GetProperty("action").GetString()!,
            e.GetProperty("target").GetString()!,
            e.GetProperty("outcome").GetString()!,
            e.GetProperty("detail").GetString() ?? string.Empty);
    }
}
