using ComputeGrid.Client;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class RestartTests(ClusterFixture cluster)
{
    [Fact, Trait("Category", "Cluster")]
    public async Task Restarting_every_silo_at_once_keeps_jobs_data_centers_and_tenants_from_storage()
    {
        var tenant = $"restart-{Guid.NewGuid():n}"[..16];
        var dataCenter = new DataCenterSpec(
            $"{tenant}-dc", "Restart test", "ningxia", new GeoPoint(37.5, 105.2),
            ResourceVector.Of(64_000, 262_144, [new("RESTART-GPU", 4)]), new EnergyProfile(1.2, 0.6, 0.8, 0.4));
        await cluster.Grid.Admin.RegisterDataCenterAsync(dataCenter);
        await Poll.UntilAsync(async () => (await cluster.Grid.Admin.GetDirectoryAsync()).DataCenters.Any(d => d.Spec.Id == dataCenter.Id), "the data center is registered", TimeSpan.FromMinutes(1));
        var finished = await cluster.Grid.SubmitAsync(Job(tenant, "finished", TimeSpan.FromMilliseconds(200)));
        var running = await cluster.Grid.SubmitAsync(Job(tenant, "running", TimeSpan.FromHours(1)));
        await Poll.UntilAsync(async () => (await cluster.Grid.GetJobAsync(finished.JobId)).State == JobState.Succeeded, "the short job succeeded", TimeSpan.FromMinutes(1));
        await Poll.UntilAsync(async () => (await cluster.Grid.GetJobAsync(running.JobId)).State == JobState.Running, "the long job runs", TimeSpan.FromMinutes(1));
        await Poll.UntilAsync(
            async () => await cluster.Grid.GetTenantSummaryAsync(tenant) is { } summary
                && summary.JobsByState.GetValueOrDefault(JobState.Succeeded) == 1
                && summary.JobsByState.GetValueOrDefault(JobState.Running) == 1
                && summary.Executed != Footprint.Zero,
            "the tenant has booked both jobs",
            TimeSpan.FromMinutes(1));
        var before = (await cluster.Grid.GetJobAsync(finished.JobId), await cluster.Grid.GetJobAsync(running.JobId), await cluster.Grid.GetTenantSummaryAsync(tenant));

        foreach (var silo in cluster.Processes.Silos.ToList())
        {
            cluster.Processes.Kill(silo);
        }

        foreach (var silo in cluster.Processes.Silos.ToList())
        {
            cluster.Processes.StartSilo(silo, silo[..4]);
        }

        await cluster.WaitAllHealthyAsync();
        var after = (await cluster.Grid.GetJobAsync(finished.JobId), await cluster.Grid.GetJobAsync(running.JobId), await cluster.Grid.GetTenantSummaryAsync(tenant));
        var directory = await cluster.Grid.Admin.GetDirectoryAsync();
        var pool = await cluster.Grid.GetPoolAsync();

        Assert.Equal(JobState.Succeeded, after.Item1.State);
        Assert.Equal(before.Item1.History.Select(e => (e.Sequence, e.State, e.DataCenterId)), after.Item1.History.Select(e => (e.Sequence, e.State, e.DataCenterId)));
        Assert.Equal(before.Item1.Actual, after.Item1.Actual);
        Assert.Equal(JobState.Running, after.Item2.State);
        Assert.Equal(dataCenter.Id, after.Item2.Placement?.DataCenterId);
        Assert.Equal(before.Item3.Executed, after.Item3.Executed);
        Assert.Contains(directory.DataCenters, d => d.Spec.Id == dataCenter.Id);
        var held = pool.Hubs.SelectMany(h => h.DataCenters).Single(d => d.Spec.Id == dataCenter.Id);
        Assert.Equal(1, held.Reservations);
        Assert.Equal(1, held.JobsFinished);

        var cancelled = await cluster.Grid.CancelJobAsync(running.JobId, "restart test done");
        Assert.Equal(JobState.Cancelled, cancelled.State);
        await Poll.UntilAsync(async () => (await cluster.Grid.GetPoolAsync()).Hubs.SelectMany(h => h.DataCenters).Single(d => d.Spec.Id == dataCenter.Id).Reservations == 0, "the cancelled job's reservation is released", TimeSpan.FromMinutes(1));
    }

    private static JobRequest Job(string tenant, string name, TimeSpan runTime) => new()
    {
        JobId = $"{tenant}-{name}",
        Tenant = tenant,
        OriginHub = "ningxia",
        CpuMillicores = 1000,
        MemoryMiB = 1024,
        Gpus = 1,
        GpuModel = "RESTART-GPU",
        RunTime = runTime,
        LatencyClass = LatencyClass.Batch,
        Policy = PlacementPolicy.Greenest,
    };
}
