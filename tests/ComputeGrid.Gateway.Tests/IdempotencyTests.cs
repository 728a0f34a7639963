using System.Net;

namespace ComputeGrid.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class IdempotencyTests(GatewayFixture fixture)
{
    [Fact]
    public async Task The_same_key_and_body_twice_creates_one_job_and_returns_it_twice()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("twice");

        using var first = await http.SubmitAsync(Bodies.Job(), key);
        using var second = await http.SubmitAsync(Bodies.Job(), key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var a = await first.JsonAsync();
        var b = await second.JsonAsync();
        Assert.Equal(a.GetProperty("jobId").GetString(), b.GetProperty("jobId").GetString());
        Assert.Equal(a.GetProperty("submittedAt").GetString(), b.GetProperty("submittedAt").GetString());
        Assert.Equal(a.GetProperty("placement").GetProperty("dataCenterId").GetString(), b.GetProperty("placement").GetProperty("dataCenterId").GetString());
        var page = await fixture.Grid.ListJobsAsync("acme", limit: 500);
        Assert.Single(page.Jobs, j => j.JobId == $"acme.{key}");
        var job = await fixture.Grid.GetJobAsync($"acme.{key}");
        Assert.Single(job.History, e => e.State == Domain.Jobs.JobState.Scheduled);
    }

    [Fact]
    public async Task The_same_key_with_a_different_body_answers_422_and_leaves_the_first_job_as_it_was()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("reuse");
        using var first = await http.SubmitAsync(Bodies.Job(), key);
        var before = await fixture.Grid.GetJobAsync($"acme.{key}");

        using var second = await http.SubmitAsync(Bodies.Job().With(b => b["priority"] = 900), key);

        await second.AssertProblemAsync(422, "Idempotency-Key", "already used");
        var after = await fixture.Grid.GetJobAsync($"acme.{key}");
        Assert.Equal(before.Spec.Priority, after.Spec.Priority);
        Assert.Equal(before.History.Count, after.History.Count);
    }

    [Fact]
    public async Task Two_tenants_using_the_same_key_get_two_different_jobs()
    {
        var key = Bodies.NewKey("shared");
        using var acme = fixture.Client("acme");
        using var globex = fixture.Client("globex");

        using var a = await acme.SubmitAsync(Bodies.Job(), key);
        using var g = await globex.SubmitAsync(Bodies.Job().With(b => b["priority"] = 7), key);

        Assert.Equal(HttpStatusCode.Created, a.StatusCode);
        Assert.Equal(HttpStatusCode.Created, g.StatusCode);
        Assert.Equal($"acme.{key}", (await a.JsonAsync()).GetProperty("jobId").GetString());
        Assert.Equal($"globex.{key}", (await g.JsonAsync()).GetProperty("jobId").GetString());
    }
}
