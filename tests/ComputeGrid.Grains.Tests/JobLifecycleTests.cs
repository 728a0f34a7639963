using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class JobLifecycleTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    [Fact]
    public async Task A_job_runs_for_its_declared_run_time_on_the_federation_clock_and_succeeds()
    {
        var job = await Grid.SubmitAsync(Jobs.Batch("lifecycle") with { RunTime = TimeSpan.FromMinutes(30) });
        Assert.Equal(JobState.Scheduled, job.State);
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Running, "the job runs");

        fixture.Time.Advance(TimeSpan.FromMinutes(30));

        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Succeeded, "the job succeeds");
        var done = await Grid.GetJobAsync(job.JobId);
        Assert.Equal([JobState.Pending, JobState.Scheduled, JobState.Running, JobState.Succeeded], done.History.Select(e => e.State));
        Assert.Equal([1L, 2, 3, 4], done.History.Select(e => e.Sequence));
        Assert.NotNull(done.Actual);
        Assert.True(done.Actual.Value.EnergyKwh > 0);
        Assert.Equal(done.Placement!.Estimate.EnergyKwh, done.Actual.Value.EnergyKwh, 6);
    }

    [Fact]
    public async Task The_placement_records_the_data_center_the_reason_and_the_estimated_energy_carbon_and_cost()
    {
        var job = await Grid.SubmitAsync(Jobs.Batch("records"));

        var placement = Assert.IsType<JobPlacement>(job.Placement);
        Assert.False(string.IsNullOrWhiteSpace(placement.DataCenterId));
        Assert.Contains("Fastest", placement.Reason, StringComparison.Ordinal);
        Assert.True(placement.Estimate.EnergyKwh > 0);
        Assert.True(placement.Estimate.CarbonKg > 0);
        Assert.True(placement.Estimate.CostCny > 0);
        await Grid.CancelJobAsync(job.JobId);
    }

    [Fact]
    public async Task Watching_a_job_yields_each_event_once_in_order_until_it_ends()
    {
        var job = await Grid.SubmitAsync(Jobs.Batch("watch") with { RunTime = TimeSpan.FromMinutes(5) });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new List<JobEvent>();
        var watching = Task.Run(async () =>
        {
            await foreach (var evt in Grid.WatchJobAsync(job.JobId, timeout.Token))
            {
                seen.Add(evt);
            }
        });
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Running, "the job runs");

        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        await watching;

        Assert.Equal([JobState.Pending, JobState.Scheduled, JobState.Running, JobState.Succeeded], seen.Select(e => e.State));
        Assert.Equal([1L, 2, 3, 4], seen.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Submitting_the_same_job_twice_creates_one_job_and_one_reservation()
    {
        await fixture.RegisterPrivateDataCenterAsync("idem-dc", "gansu", "IDEM", gpus: 4);
        var request = Jobs.OnGpu("idem", "IDEM", "gansu", TimeSpan.FromHours(100));

        var first = await Grid.SubmitAsync(request);
        var second = await Grid.SubmitAsync(request);

        Assert.Equal(first.JobId, second.JobId);
        Assert.Equal(first.Placement, second.Placement);
        var dc = (await Grid.GetPoolAsync()).Hubs.SelectMany(h => h.DataCenters).Single(d => d.Spec.Id == "idem-dc");
        Assert.Equal(1, dc.Reservations);
        Assert.Equal(1, dc.Used.GpusOf("IDEM"));
        await Grid.CancelJobAsync(first.JobId);
    }

    [Fact]
    public async Task Submitting_a_different_job_under_a_taken_id_is_a_conflict_and_changes_nothing()
    {
        var request = Jobs.Batch("conflict");
        var original = await Grid.SubmitAsync(request);

        await Assert.ThrowsAsync<JobConflictException>(() => Grid.SubmitAsync(request with { CpuMillicores = 8000 }));

        var after = await Grid.GetJobAsync(original.JobId);
        Assert.Equal(4000, after.Spec.Resources.CpuMillicores);
        Assert.Equal(original.Placement, after.Placement);
        Assert.Equal(original.SubmittedAt, after.SubmittedAt);
        await Grid.CancelJobAsync(original.JobId);
    }

    [Fact]
    public async Task Cancelling_a_queued_job_removes_it_from_the_queue()
    {
        await fixture.RegisterPrivateDataCenterAsync("cq-dc", "ningxia", "CQ", gpus: 1);
        var running = await Grid.SubmitAsync(Jobs.OnGpu("cancel-q", "CQ", "ningxia", TimeSpan.FromHours(100)));
        var queued = await Grid.SubmitAsync(Jobs.OnGpu("cancel-q", "CQ", "ningxia", TimeSpan.FromHours(100)));
        Assert.Equal(JobState.Queued, queued.State);

        var cancelled = await Grid.CancelJobAsync(queued.JobId, "no longer needed");

        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Contains("no longer needed", cancelled.History[^1].Detail, StringComparison.Ordinal);
        var pool = await Grid.GetPoolAsync();
        Assert.Equal(0, pool.Hubs.Single(h => h.Hub.Id == "ningxia").QueueLength);
        await Grid.CancelJobAsync(running.JobId);
    }

    [Fact]
    public async Task A_job_queued_again_after_a_preemption_has_no_placement_while_it_waits()
    {
        await fixture.RegisterPrivateDataCenterAsync("pq-dc", "gansu", "PQ", gpus: 1);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("preempt-q", "PQ", "gansu", TimeSpan.FromHours(100)));
        Assert.Equal("pq-dc", job.Placement!.DataCenterId);
        await Grid.Admin.DrainDataCenterAsync("pq-dc");
        try
        {
            // Its only data center takes no new work, so the preempted job waits in the queue (the call is one-way).
            await fixture.Cluster.Client.GetGrain<IJobGrain>(job.JobId).PreemptAsync("pq-dc", "taken back for the test");
            await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).History[^1].State == JobState.Queued, "the preempted job is queued again");

            var waiting = await Grid.GetJobAsync(job.JobId);
            Assert.True(waiting.State == JobState.Queued, string.Join(" | ", waiting.History.Select(e => $"{e.State} {e.DataCenterId} {e.Detail}")));
            Assert.Null(waiting.Placement);
            Assert.Contains(waiting.History, e => e.State == JobState.Preempted && e.DataCenterId == "pq-dc");
            var row = (await Grid.ListJobsAsync("preempt-q")).Jobs.Single(j => j.JobId == job.JobId);
            Assert.Null(row.DataCenterId);
        }
        finally
        {
            await Grid.CancelJobAsync(job.JobId);
            await Grid.Admin.ResumeDataCenterAsync("pq-dc");
        }
    }

    [Theory]
    [InlineData("cancelled by client", "cancelled by client")]
    [InlineData("Cancelled: by the owner", "Cancelled: by the owner")]
    [InlineData("no longer needed", "cancelled: no longer needed")]
    [InlineData("", "cancelled")]
    public async Task A_cancels_detail_says_cancelled_once(string reason, string detail)
    {
        var job = await Grid.SubmitAsync(Jobs.Batch("cancel-detail"));

        var cancelled = await Grid.CancelJobAsync(job.JobId, reason);

        Assert.Equal(detail, cancelled.History[^1].Detail);
    }

    [Fact]
    public async Task Cancelling_a_scheduled_job_releases_its_capacity()
    {
        await fixture.RegisterPrivateDataCenterAsync("cs-dc", "gansu", "CS", gpus: 1);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("cancel-s", "CS", "gansu", TimeSpan.FromHours(1), id: Jobs.NewId("hold")));
        Assert.Equal(JobState.Scheduled, job.State);
        Assert.True(fixture.Gate.Held.ContainsKey(job.JobId));

        var cancelled = await Grid.CancelJobAsync(job.JobId);

        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(0, (await DataCenterAsync("cs-dc")).Reservations);
        Assert.False(fixture.Gate.Held.ContainsKey(job.JobId));
    }

    [Fact]
    public async Task Cancelling_a_running_job_releases_its_capacity_once_and_books_what_it_used()
    {
        await fixture.RegisterPrivateDataCenterAsync("cr-dc", "ningxia", "CR", gpus: 1);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("cancel-r", "CR", "ningxia", TimeSpan.FromHours(10)));
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Running, "the job runs");
        fixture.Time.Advance(TimeSpan.FromHours(1));

        var cancelled = await Grid.CancelJobAsync(job.JobId);
        var again = await Grid.CancelJobAsync(job.JobId);

        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(cancelled.History.Count, again.History.Count);
        var dc = await DataCenterAsync("cr-dc");
        Assert.Equal(0, dc.Reservations);
        Assert.Equal(1, dc.JobsFinished);
        Assert.True(cancelled.Actual!.Value.EnergyKwh > 0);
    }

    [Fact]
    public async Task Cancelling_a_finished_job_returns_it_unchanged()
    {
        var job = await Grid.SubmitAsync(Jobs.Batch("cancel-done") with { RunTime = TimeSpan.FromMinutes(1) });
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Running, "the job runs");
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Succeeded, "the job succeeds");

        var after = await Grid.CancelJobAsync(job.JobId);

        Assert.Equal(JobState.Succeeded, after.State);
    }

    [Fact]
    public async Task Cancelling_or_getting_an_unknown_job_is_not_found()
    {
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.CancelJobAsync("no-such-job"));
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.GetJobAsync("no-such-job"));
    }

    [Fact]
    public async Task A_tenants_jobs_are_listed_newest_first_a_page_at_a_time()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await Grid.SubmitAsync(Jobs.Batch("lister"))).JobId);
        }

        await Eventually.TrueAsync(async () => (await Grid.ListJobsAsync("lister", limit: 500)).Jobs.Count == 5, "the index has every job");
        var first = await Grid.ListJobsAsync("lister", limit: 3);
        var second = await Grid.ListJobsAsync("lister", limit: 3, cursor: first.NextCursor);

        Assert.Equal(3, first.Jobs.Count);
        Assert.NotNull(first.NextCursor);
        Assert.Equal(2, second.Jobs.Count);
        Assert.Null(second.NextCursor);
        Assert.Equal(Enumerable.Reverse(ids), first.Jobs.Concat(second.Jobs).Select(j => j.JobId));
        foreach (var id in ids)
        {
            await Grid.CancelJobAsync(id);
        }
    }

    [Fact]
    public async Task An_acknowledged_job_is_listed_at_once_and_in_the_order_it_was_submitted()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await Grid.SubmitAsync(Jobs.Batch("at-once"))).JobId);

            // No polling: the submission is acknowledged only once its tenant lists it.
            var listed = await Grid.ListJobsAsync("at-once", limit: 500);
            Assert.Equal(Enumerable.Reverse(ids), listed.Jobs.Select(j => j.JobId));
        }

        foreach (var id in ids)
        {
            await Grid.CancelJobAsync(id);
        }
    }

    private async Task<Contracts.Pool.DataCenterSnapshot> DataCenterAsync(string id) =>
        (await Grid.GetPoolAsync()).Hubs.SelectMany(h => h.DataCenters).Single(d => d.Spec.Id == id);
}
