using System.Net;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class SecurityTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData("GET", "/v1/pool")]
    [InlineData("GET", "/v1/jobs")]
    [InlineData("POST", "/v1/jobs")]
    [InlineData("GET", "/v1/hubs")]
    [InlineData("POST", "/v1/data-centers/guian/drain")]
    public async Task A_request_without_a_key_answers_401_with_a_challenge_naming_the_header(string method, string path)
    {
        using var http = fixture.Client(null);

        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await response.AssertProblemAsync(401, "X-API-Key", "is required");
        Assert.Contains("X-API-Key", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_key_answers_401()
    {
        using var http = fixture.Client(null);
        http.DefaultRequestHeaders.Add("X-API-Key", "not-a-key");

        using var response = await http.GetAsync("/v1/pool");

        await response.AssertProblemAsync(401, "X-API-Key", "not a valid API key");
    }

    [Fact]
    public async Task Another_tenants_job_answers_404_to_get_cancel_and_events_and_is_not_cancelled()
    {
        using var acme = fixture.Client("acme");
        using var globex = fixture.Client("globex");
        var key = Bodies.NewKey("private");
        using var submitted = await acme.SubmitAsync(Bodies.Job(), key);
        var jobId = $"acme.{key}";

        using var get = await globex.GetAsync($"/v1/jobs/{jobId}");
        using var cancel = await globex.PostAsync($"/v1/jobs/{jobId}/cancel", content: null);
        using var events = await globex.GetAsync($"/v1/jobs/{jobId}/events");

        await get.AssertProblemAsync(404, "jobId");
        await cancel.AssertProblemAsync(404, "jobId");
        await events.AssertProblemAsync(404, "jobId");
        Assert.NotEqual(JobState.Cancelled, (await fixture.Grid.GetJobAsync(jobId)).State);
    }

    [Fact]
    public async Task Another_tenants_jobs_are_not_listed()
    {
        using var acme = fixture.Client("acme");
        using var globex = fixture.Client("globex");
        var key = Bodies.NewKey("unlisted");
        using var submitted = await acme.SubmitAsync(Bodies.Job(), key);

        using var response = await globex.GetAsync("/v1/jobs?limit=500");

        var jobs = (await response.JsonAsync()).GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("jobId").GetString()).ToList();
        Assert.DoesNotContain($"acme.{key}", jobs);
    }

    [Theory]
    [InlineData("POST", "/v1/data-centers/guian/drain")]
    [InlineData("POST", "/v1/data-centers/guian/resume")]
    [InlineData("DELETE", "/v1/data-centers/guian")]
    [InlineData("POST", "/v1/data-centers")]
    public async Task Operator_endpoints_answer_403_to_a_partner_and_change_nothing(string method, string path)
    {
        using var http = fixture.Client("acme");
        var before = await fixture.Grid.Admin.GetDirectoryAsync();

        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST" && path == "/v1/data-centers")
        {
            request.Content = Bodies.DataCenter("partner-made").Json();
        }

        using var response = await http.SendAsync(request);

        await response.AssertProblemAsync(403, "X-API-Key", "for operators");
        Assert.Equal(before.Version, (await fixture.Grid.Admin.GetDirectoryAsync()).Version);
    }

    [Fact]
    public async Task An_operator_registers_drains_resumes_and_removes_a_data_center()
    {
        using var http = fixture.Client("operator");
        var id = $"gw-{Guid.NewGuid():n}"[..20];

        using var registered = await http.PostAsync("/v1/data-centers", Bodies.DataCenter(id).Json());
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.Equal(8, (await registered.JsonAsync()).GetProperty("capacity").GetProperty("gpus").GetProperty("TEST-GW").GetInt32());

        using var drained = await http.PostAsync($"/v1/data-centers/{id}/drain", content: null);
        Assert.Equal("Draining", (await drained.JsonAsync()).GetProperty("status").GetString());

        using var resumed = await http.PostAsync($"/v1/data-centers/{id}/resume", content: null);
        Assert.Equal("Online", (await resumed.JsonAsync()).GetProperty("status").GetString());

        using var listed = await http.GetAsync("/v1/hubs/inner-mongolia/data-centers");
        Assert.Contains((await listed.JsonAsync()).EnumerateArray(), d => d.GetProperty("id").GetString() == id);

        using var removed = await http.DeleteAsync($"/v1/data-centers/{id}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.DoesNotContain((await fixture.Grid.Admin.GetDirectoryAsync()).DataCenters, d => d.Spec.Id == id);
    }

    [Fact]
    public async Task Removing_a_data_center_where_a_job_holds_capacity_answers_409_and_keeps_it()
    {
        using var operators = fixture.Client("operator");
        using var acme = fixture.Client("acme");
        var id = $"gw-{Guid.NewGuid():n}"[..20];
        using var registered = await operators.PostAsync("/v1/data-centers", Bodies.DataCenter(id).Json());
        var job = Bodies.Job().With(b => b["originHub"] = "inner-mongolia").With(b => b["resources"]!["gpus"] = 1).With(b => b["resources"]!["gpuModel"] = "TEST-GW");
        using var submitted = await acme.SubmitAsync(job, Bodies.NewKey("holds"));
        Assert.Equal(id, (await submitted.JsonAsync()).GetProperty("placement").GetProperty("dataCenterId").GetString());

        using var removed = await operators.DeleteAsync($"/v1/data-centers/{id}");

        await removed.AssertProblemAsync(409, "dataCenterId", "hold capacity");
        Assert.Contains((await fixture.Grid.Admin.GetDirectoryAsync()).DataCenters, d => d.Spec.Id == id && d.Status == DataCenterStatus.Online);
    }

    [Fact]
    public async Task Hubs_and_the_pool_are_readable_by_partners()
    {
        using var http = fixture.Client("globex");

        using var hubs = await http.GetAsync("/v1/hubs");
        using var hub = await http.GetAsync("/v1/hubs/guizhou");
        using var dataCenters = await http.GetAsync("/v1/hubs/guizhou/data-centers");
        using var pool = await http.GetAsync("/v1/pool");

        Assert.Equal(fixture.Topology.Hubs.Count, (await hubs.JsonAsync()).GetArrayLength());
        Assert.Equal("West", (await hub.JsonAsync()).GetProperty("zone").GetString());
        Assert.Contains((await dataCenters.JsonAsync()).EnumerateArray(), d => d.GetProperty("id").GetString() == "guian");
        var p = await pool.JsonAsync();
        Assert.Equal(fixture.Topology.Hubs.Count, p.GetProperty("hubs").GetInt32());
        Assert.True(p.GetProperty("capacity").GetProperty("cpuMillicores").GetInt64() > 0);
    }
}
