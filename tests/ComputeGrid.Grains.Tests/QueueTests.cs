using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class QueueTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    [Fact]
    public async Task A_job_that_fits_nowhere_now_is_queued_and_placed_as_soon_as_capacity_frees()
    {
        await fixture.RegisterPrivateDataCenterAsync("queue-dc", "ningxia", "QD", gpus: 2);
        var first = await Grid.SubmitAsync(Jobs.OnGpu("queue", "QD", "ningxia", TimeSpan.FromHours(1)));
        var second = await Grid.SubmitAsync(Jobs.OnGpu("queue", "QD", "ningxia", TimeSpan.FromHours(1)));
        var third = await Grid.SubmitAsync(Jobs.OnGpu("queue", "QD", "ningxia", TimeSpan.FromHours(1)));
        Assert.Equal(JobState.Queued, third.State);
        Assert.Null(third.Placement);
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(first.JobId)).State == JobState.Running && (await Grid.GetJobAsync(second.JobId)).State == JobState.Running, "both run");

        fixture.Time.Advance(TimeSpan.FromHours(1));

        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(third.JobId)).State == JobState.Running, "the queued job runs");
        var placed = await Grid.GetJobAsync(third.JobId);
        Assert.Equal("queue-dc", placed.Placement!.DataCenterId);
        Assert.Equal([JobState.Pending, JobState.Queued, JobState.Scheduled, JobState.Running], placed.History.Select(e => e.State));
        await Grid.CancelJobAsync(third.JobId);
    }

    [Fact]
    public async Task The_queue_orders_by_priority_then_by_fair_share_between_tenants()
    {
        await fixture.RegisterPrivateDataCenterAsync("order-dc", "gansu", "OD", gpus: 2);
        var busy = new[]
        {
            await Grid.SubmitAsync(Jobs.OnGpu("heavy", "OD", "gansu", TimeSpan.FromHours(500))),
            await Grid.SubmitAsync(Jobs.OnGpu("heavy", "OD", "gansu", TimeSpan.FromHours(500))),
        };
        var heavyLow1 = await Grid.SubmitAsync(Jobs.OnGpu("heavy", "OD", "gansu", TimeSpan.FromHours(1), priority: 10));
        var heavyLow2 = await Grid.SubmitAsync(Jobs.OnGpu("heavy", "OD", "gansu", TimeSpan.FromHours(1), priority: 10));
        var lightLow = await Grid.SubmitAsync(Jobs.OnGpu("light", "OD", "gansu", TimeSpan.FromHours(1), priority: 10));
        var urgent = await Grid.SubmitAsync(Jobs.OnGpu("heavy", "OD", "gansu", TimeSpan.FromHours(1), priority: 900));

        var queue = await fixture.Cluster.Client.GetGrain<IRegionGrain>("gansu").GetQueueAsync();

        var order = queue.Select(q => q.JobId).ToList();
        Assert.Equal([urgent.JobId, lightLow.JobId, heavyLow1.JobId, heavyLow2.JobId], order);
        foreach (var job in busy.Concat([heavyLow1, heavyLow2, lightLow, urgent]))
        {
            await Grid.CancelJobAsync(job.JobId);
        }
    }
}
