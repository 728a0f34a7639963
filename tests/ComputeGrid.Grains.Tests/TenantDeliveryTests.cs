using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Tests;

/// <summary>
/// A job keeps its tenant told until the tenant confirms (JobGrain.Publish.cs): a tenant whose writes fail for a while
/// still ends up listing the job in its last state and booking its run once.
/// </summary>
[Collection(GridCollection.Name)]
public sealed class TenantDeliveryTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    [Fact]
    public async Task A_job_whose_tenant_fails_every_write_until_the_job_has_ended_is_listed_in_its_last_state_and_booked_once_after()
    {
        var tenant = $"td-{Guid.NewGuid():n}"[..20];
        var tenantGrain = fixture.Cluster.Client.GetGrain<ITenantGrain>(tenant);
        await tenantGrain.GetSummaryAsync();
        var id = tenantGrain.GetGrainId();
        fixture.Faults.FailNextWrites(id, int.MaxValue);
        try
        {
            // Acknowledged although the tenant cannot list it: the job is durable, and its row follows.
            var job = await Grid.SubmitAsync(Jobs.Batch(tenant) with { RunTime = TimeSpan.FromMinutes(5) });
            await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Running, "the job runs");
            fixture.Time.Advance(TimeSpan.FromMinutes(5));
            await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Succeeded, "the job succeeds");
        }
        finally
        {
            fixture.Faults.FailNextWrites(id, 0);
        }

        await Eventually.TrueAsync(
            async () => await Grid.GetTenantSummaryAsync(tenant) is { } summary
                && summary.JobsByState.GetValueOrDefault(JobState.Succeeded) == 1
                && summary.Executed != Footprint.Zero,
            "the tenant lists the job as succeeded and has booked its run",
            TimeSpan.FromMinutes(1));
        var booked = (await Grid.GetTenantSummaryAsync(tenant)).Executed;
        var done = await Grid.GetJobAsync((await Grid.ListJobsAsync(tenant)).Jobs.Single().JobId);
        Assert.Equal(done.Actual, booked);
    }
}
