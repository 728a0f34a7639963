using ComputeGrid.Client;
using ComputeGrid.Contracts;
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
        // The cluster may just have been rolled (the upgrade test): its first admin call activates the pool and a data
        // center from storage and may miss the 10 s call timeout. Registering the same spec again is an update, so it is safe to repeat.
        await ReadAsync(async () =>
        {
            await cluster.Grid.Admin.RegisterDataCenterAsync(dataCenter);
            return true;
        });
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

        // A cold cluster activates every grain from storage on first use; on shared cores a first read can miss the
        // silos' 10 s call timeout, and reads are safe to repeat.
        var after = (await ReadAsync(() => cluster.Grid.GetJobAsync(finished.JobId)), await ReadAsync(() => cluster.Grid.GetJobAsync(running.JobId)), await ReadAsync(() => cluster.Grid.GetTenantSummaryAsync(tenant)));
        var directory = await ReadAsync(() => cluster.Grid.Admin.GetDirectoryAsync());
        var pool = await ReadAsync(() => cluster.Grid.GetPoolAsync());

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

    [Fact, Trait("Category", "Cluster")]
    public async Task A_hubs_region_runs_in_the_other_zone_while_its_zone_is_down_and_moves_back_when_the_zone_returns()
    {
        var region = cluster.Orleans.GetGrain<IRegionGrain>("yangtze");
        await Poll.UntilAsync(async () => await ZoneOfRegionAsync("yangtze") == "east", "yangtze's region runs in its own zone, east", TimeSpan.FromMinutes(2));

        foreach (var silo in ClusterFixture.East)
        {
            cluster.Processes.Kill(silo);
        }

        await Poll.UntilAsync(
            async () => await TouchAsync(region) && await ZoneOfRegionAsync("yangtze") == "west",
            "with no east silo alive, yangtze's region runs in the west",
            TimeSpan.FromMinutes(3));

        foreach (var silo in ClusterFixture.East)
        {
            cluster.Processes.StartSilo(silo, "east");
        }

        await cluster.WaitAllHealthyAsync();
        await Poll.UntilAsync(
            async () => await TouchAsync(region) && await ZoneOfRegionAsync("yangtze") == "east",
            "once the east zone is back, the rebalancer moves yangtze's region home",
            TimeSpan.FromMinutes(3));
    }

    /// <summary>Reads until the read succeeds or two minutes pass.</summary>
    private static async Task<T> ReadAsync<T>(Func<Task<T>> read)
    {
        T? value = default;
        await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    value = await read();
                    return true;
                }
                catch (Exception e) when (e is TimeoutException or OrleansException or OperationCanceledException or Orleans.Serialization.CodecNotFoundException or ComputeGridConnectionException)
                {
                    // The SDK fails a call fast while it knows the cluster lost (ComputeGridConnectionException) and
                    // recovers when its gateway list finds the restarted silos. Also a cancelled activation: while the silos rejoin, a grain placed on one still starting is cancelled.
                    // And Orleans' own placement timeout: it wraps Polly's TimeoutRejectedException, which Orleans cannot
                    // serialize back to the client, so the client sees CodecNotFoundException instead of a timeout.
                    return false;
                }
            },
            "a read after the restart answers",
            TimeSpan.FromMinutes(2));
        return value!;
    }

    /// <summary>Calls the region (activating it if it has no activation); false while the call fails (a silo is dying).</summary>
    private static async Task<bool> TouchAsync(IRegionGrain region)
    {
        try
        {
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await region.GetQueueLengthAsync(attempt.Token);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The zone of the silo hosting the hub's region activation, or null while it has none (or a silo does not answer).</summary>
    private async Task<string?> ZoneOfRegionAsync(string hub)
    {
        try
        {
            var activations = await cluster.Orleans.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
            var region = activations.FirstOrDefault(a => a.GrainId.Type.ToString() == "region" && a.GrainId.Key.ToString() == hub);
            return region is null ? null : cluster.Processes.ZoneOfSiloPort(region.SiloAddress.Endpoint.Port);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or OperationCanceledException)
        {
            return null;
        }
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
