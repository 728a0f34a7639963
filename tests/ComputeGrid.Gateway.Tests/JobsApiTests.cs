using System.Net;
using System.Text.Json;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class JobsApiTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Submitting_a_job_answers_201_with_its_location_placement_and_the_tenant_of_the_key()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("submit");

        using var response = await http.SubmitAsync(Bodies.Job(), key);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v1/jobs/acme.{key}", response.Headers.Location?.OriginalString);
        var job = await response.JsonAsync();
        Assert.Equal($"acme.{key}", job.GetProperty("jobId").GetString());
        Assert.Equal("acme", job.GetProperty("tenant").GetString());
        Assert.Equal("Scheduled", job.GetProperty("state").GetString());
        Assert.Equal(3600, job.GetProperty("runTimeSeconds").GetInt64());
        Assert.Contains("Fastest", job.GetProperty("placement").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(job.GetProperty("placement").GetProperty("estimate").GetProperty("energyKwh").GetDouble() > 0);
        Assert.Equal("acme", (await fixture.Grid.GetJobAsync($"acme.{key}")).Spec.Tenant);
    }

    [Fact]
    public async Task A_job_with_policy_GreenestPredictive_is_accepted_by_that_exact_name_and_reads_back_with_it()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("predictive");

        using var response = await http.SubmitAsync(Bodies.Job().With(b => b["policy"] = "GreenestPredictive"), key);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("GreenestPredictive", (await response.JsonAsync()).GetProperty("policy").GetString());
        Assert.Equal(PlacementPolicy.GreenestPredictive, (await fixture.Grid.GetJobAsync($"acme.{key}")).Spec.Policy);
    }

    [Fact]
    public async Task A_submission_without_an_idempotency_key_gets_a_generated_id_under_the_tenant()
    {
        using var http = fixture.Client("acme");

        using var response = await http.SubmitAsync(Bodies.Job(), idempotencyKey: null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.StartsWith("acme.", (await response.JsonAsync()).GetProperty("jobId").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Getting_a_job_returns_its_state_resources_and_every_event()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("get");
        using var submitted = await http.SubmitAsync(Bodies.Job().With(b => b["resources"]!["gpus"] = 1).With(b => b["resources"]!["gpuModel"] = "910B"), key);

        using var response = await http.GetAsync($"/v1/jobs/acme.{key}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var job = await response.JsonAsync();
        Assert.Equal("910B", job.GetProperty("resources").GetProperty("gpuModel").GetString());
        Assert.Equal(1, job.GetProperty("resources").GetProperty("gpus").GetInt32());
        var events = job.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(["Pending", "Scheduled"], events.Take(2).Select(e => e.GetProperty("state").GetString()));
        Assert.Equal([1L, 2L], events.Take(2).Select(e => e.GetProperty("sequence").GetInt64()));
    }

    [Fact]
    public async Task Cancelling_a_job_answers_the_cancelled_job_and_releases_its_capacity()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("cancel");
        using var submitted = await http.SubmitAsync(Bodies.Job(), key);

        using var response = await http.PostAsync($"/v1/jobs/acme.{key}/cancel", content: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Cancelled", (await response.JsonAsync()).GetProperty("state").GetString());
        var job = await fixture.Grid.GetJobAsync($"acme.{key}");
        Assert.Equal(JobState.Cancelled, job.State);
    }

    [Fact]
    public async Task Listing_pages_through_the_tenants_jobs_newest_first_with_a_cursor()
    {
        using var http = fixture.Client("pager");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var r = await http.SubmitAsync(Bodies.Job(), Bodies.NewKey($"page{i}"));
            ids.Add((await r.JsonAsync()).GetProperty("jobId").GetString()!);
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            using var response = await http.GetAsync(cursor is null ? "/v1/jobs?limit=2" : $"/v1/jobs?limit=2&cursor={cursor}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.JsonAsync();
            Assert.True(page.GetProperty("jobs").GetArrayLength() <= 2);
            seen.AddRange(page.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("jobId").GetString()!));
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(Enumerable.Reverse(ids), seen.Where(ids.Contains));
        Assert.True(pages >= 3);
    }

    [Fact]
    public async Task Listing_by_state_returns_only_jobs_in_that_state()
    {
        using var http = fixture.Client("pager");
        var key = Bodies.NewKey("state");
        using var submitted = await http.SubmitAsync(Bodies.Job(), key);
        using var cancelled = await http.PostAsync($"/v1/jobs/pager.{key}/cancel", content: null);

        using var response = await http.GetAsync("/v1/jobs?state=Cancelled&limit=500");

        var jobs = (await response.JsonAsync()).GetProperty("jobs").EnumerateArray().ToList();
        Assert.Contains(jobs, j => j.GetProperty("jobId").GetString() == $"pager.{key}");
        Assert.All(jobs, j => Assert.Equal("Cancelled", j.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task An_operator_lists_another_tenants_jobs_by_naming_the_tenant()
    {
        using var partner = fixture.Client("globex");
        var key = Bodies.NewKey("listed-by-operator");
        using var submitted = await partner.SubmitAsync(Bodies.Job(), key);
        using var cancelled = await partner.PostAsync($"/v1/jobs/globex.{key}/cancel", content: null);
        using var operatorClient = fixture.Client("operator");

        using var response = await operatorClient.GetAsync("/v1/jobs?tenant=globex&limit=500");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jobs = (await response.JsonAsync()).GetProperty("jobs").EnumerateArray().ToList();
        Assert.Contains(jobs, j => j.GetProperty("jobId").GetString() == $"globex.{key}");
        Assert.All(jobs, j => Assert.StartsWith("globex.", j.GetProperty("jobId").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_operator_reads_explains_and_cancels_any_tenants_job_and_the_cancel_names_no_key()
    {
        using var partner = fixture.Client("globex");
        var key = Bodies.NewKey("operator-acts");
        using var submitted = await partner.SubmitAsync(Bodies.Job(), key);
        using var operatorClient = fixture.Client("operator");

        using var read = await operatorClient.GetAsync($"/v1/jobs/globex.{key}");
        using var cancel = await operatorClient.PostAsync($"/v1/jobs/globex.{key}/cancel", content: null);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("globex", (await read.JsonAsync()).GetProperty("tenant").GetString());
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var cancelled = await cancel.JsonAsync();
        Assert.Equal("Cancelled", cancelled.GetProperty("state").GetString());
        var detail = cancelled.GetProperty("events").EnumerateArray().Last().GetProperty("detail").GetString()!;
        Assert.Equal("cancelled by an operator through the REST gateway", detail);
    }

    [Fact]
    public async Task A_partners_cancel_says_cancelled_once_and_not_the_keys_name()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("cancel-detail");
        using var submitted = await http.SubmitAsync(Bodies.Job(), key);

        using var response = await http.PostAsync($"/v1/jobs/acme.{key}/cancel", content: null);

        var detail = (await response.JsonAsync()).GetProperty("events").EnumerateArray().Last().GetProperty("detail").GetString();
        Assert.Equal("cancelled by the tenant through the REST gateway", detail);
    }

    [Fact]
    public async Task A_partner_still_cannot_read_or_cancel_another_tenants_job()
    {
        using var owner = fixture.Client("globex");
        var key = Bodies.NewKey("not-yours");
        using var submitted = await owner.SubmitAsync(Bodies.Job(), key);
        using var other = fixture.Client("pager");

        using var read = await other.GetAsync($"/v1/jobs/globex.{key}");
        using var cancel = await other.PostAsync($"/v1/jobs/globex.{key}/cancel", content: null);

        await read.AssertProblemAsync(404, "jobId", "no job with this id");
        await cancel.AssertProblemAsync(404, "jobId", "no job with this id");
        Assert.NotEqual(JobState.Cancelled, (await fixture.Grid.GetJobAsync($"globex.{key}")).State);
        using var cleanup = await owner.PostAsync($"/v1/jobs/globex.{key}/cancel", content: null);
    }

    [Fact]
    public async Task An_operators_listing_without_a_tenant_pages_through_every_tenants_jobs_and_names_each_rows_tenant()
    {
        using var acme = fixture.Client("acme");
        using var globex = fixture.Client("globex");
        var acmeKey = Bodies.NewKey("all-tenants");
        var globexKey = Bodies.NewKey("all-tenants");
        using var a = await acme.SubmitAsync(Bodies.Job(), acmeKey);
        using var g = await globex.SubmitAsync(Bodies.Job(), globexKey);
        using var operatorClient = fixture.Client("operator");

        var rows = new List<JsonElement>();
        string? cursor = null;
        var pages = 0;
        do
        {
            using var response = await operatorClient.GetAsync("/v1/jobs?limit=100" + (cursor is null ? string.Empty : $"&cursor={Uri.EscapeDataString(cursor)}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.JsonAsync();
            rows.AddRange(page.GetProperty("jobs").EnumerateArray());
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10_000);

        Assert.Contains(rows, r => r.GetProperty("jobId").GetString() == $"acme.{acmeKey}" && r.GetProperty("tenant").GetString() == "acme");
        Assert.Contains(rows, r => r.GetProperty("jobId").GetString() == $"globex.{globexKey}" && r.GetProperty("tenant").GetString() == "globex");
        Assert.Equal(rows.Count, rows.Select(r => r.GetProperty("jobId").GetString()).Distinct().Count());
        using var c1 = await acme.PostAsync($"/v1/jobs/acme.{acmeKey}/cancel", content: null);
        using var c2 = await globex.PostAsync($"/v1/jobs/globex.{globexKey}/cancel", content: null);
    }

    [Fact]
    public async Task A_partners_listing_without_a_tenant_shows_only_its_own_jobs()
    {
        using var globex = fixture.Client("globex");
        var key = Bodies.NewKey("only-own");
        using var submitted = await globex.SubmitAsync(Bodies.Job(), key);
        using var pager = fixture.Client("pager");

        using var response = await pager.GetAsync("/v1/jobs?limit=500");

        var jobs = (await response.JsonAsync()).GetProperty("jobs").EnumerateArray().ToList();
        Assert.All(jobs, j => Assert.Equal("pager", j.GetProperty("tenant").GetString()));
        using var cleanup = await globex.PostAsync($"/v1/jobs/globex.{key}/cancel", content: null);
    }

    [Fact]
    public async Task A_partner_naming_another_tenant_is_refused_with_403_on_the_tenant_field()
    {
        using var http = fixture.Client("pager");

        using var response = await http.GetAsync("/v1/jobs?tenant=globex");

        await response.AssertProblemAsync(403, "tenant", "only operator keys");
    }

    [Fact]
    public async Task A_partner_may_name_its_own_tenant()
    {
        using var http = fixture.Client("pager");

        using var response = await http.GetAsync("/v1/jobs?tenant=pager&limit=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("Globex")]
    [InlineData("-")]
    [InlineData("a_b")]
    public async Task A_tenant_that_is_not_a_tenant_name_answers_400_on_the_tenant_field(string tenant)
    {
        using var http = fixture.Client("operator");

        using var response = await http.GetAsync($"/v1/jobs?tenant={Uri.EscapeDataString(tenant)}");

        await response.AssertProblemAsync(400, "tenant");
    }

    [Fact]
    public async Task The_tenant_endpoint_counts_the_callers_jobs_by_state()
    {
        using var http = fixture.Client("pager");
        using var submitted = await http.SubmitAsync(Bodies.Job(), Bodies.NewKey("count"));

        using var response = await http.GetAsync("/v1/tenant");

        var tenant = await response.JsonAsync();
        Assert.Equal("pager", tenant.GetProperty("tenant").GetString());
        Assert.True(tenant.GetProperty("jobsByState").EnumerateObject().Sum(s => s.Value.GetInt32()) >= 1);
    }
}
