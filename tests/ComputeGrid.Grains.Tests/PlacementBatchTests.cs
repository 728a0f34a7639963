using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class PlacementBatchTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    [Fact]
    public async Task Concurrent_submissions_from_one_hub_are_placed_with_fewer_region_and_data_center_writes_than_jobs()
    {
        const int jobs = 120;
        await fixture.RegisterPrivateDataCenterAsync("batch-dc", "ningxia", "BATCH", gpus: jobs, cores: 400);
        var region = fixture.Cluster.Client.GetGrain<IRegionGrain>("ningxia").GetGrainId();
        var dataCenter = fixture.Cluster.Client.GetGrain<IDataCenterGrain>("batch-dc").GetGrainId();
        var (regionBefore, dcBefore) = (fixture.Faults.WritesOf(region), fixture.Faults.WritesOf(dataCenter));

        // Writes take as long as a storage round trip here, so that on any machine the submissions arrive while a write
        // is in flight (in-memory storage on a fast machine can finish each write before the next call arrives).
        fixture.Faults.SlowWrites(region, TimeSpan.FromMilliseconds(50));
        fixture.Faults.SlowWrites(dataCenter, TimeSpan.FromMilliseconds(50));
        var requests = Enumerable.Range(0, jobs).Select(_ => Jobs.OnGpu("batcher", "BATCH", "ningxia", TimeSpan.FromHours(1))).ToList();
        JobSnapshot[] submitted;
        try
        {
            submitted = await Task.WhenAll(requests.Select(r => Task.Run(() => Grid.SubmitAsync(r))));
        }
        finally
        {
            fixture.Faults.FastWrites(region);
            fixture.Faults.FastWrites(dataCenter);
        }

        Assert.All(submitted, j => Assert.Equal(JobState.Scheduled, j.State));
        Assert.All(submitted, j => Assert.Equal("batch-dc", j.Placement!.DataCenterId));
        var regionWrites = fixture.Faults.WritesOf(region) - regionBefore;
        var dcWrites = fixture.Faults.WritesOf(dataCenter) - dcBefore;
        Assert.True(regionWrites < jobs, $"{jobs} placements made {regionWrites} region writes");
        Assert.True(dcWrites < jobs, $"{jobs} placements made {dcWrites} data-center writes");
        var snapshot = await fixture.Cluster.Client.GetGrain<IDataCenterGrain>("batch-dc").GetSnapshotAsync();
        Assert.Equal(jobs, snapshot!.Reservations);

        await Task.WhenAll(submitted.Select(j => Grid.CancelJobAsync(j.JobId)));
    }

    [Fact]
    public async Task A_failed_batch_write_at_the_data_center_grants_none_of_the_batch_and_a_retry_places_each_job_once()
    {
        const int jobs = 40;
        const int gpus = 50;
        await fixture.RegisterPrivateDataCenterAsync("batch-fail-dc", "gansu", "BATCHFAIL", gpus: gpus, cores: 200);
        var dc = fixture.Cluster.Client.GetGrain<IDataCenterGrain>("batch-fail-dc");
        fixture.Faults.FailNextWrites(dc.GetGrainId(), 1);

        var requests = Enumerable.Range(0, jobs).Select(_ => Jobs.OnGpu("batchfail", "BATCHFAIL", "gansu", TimeSpan.FromHours(1))).ToList();
        var first = await Task.WhenAll(requests.Select(async r =>
        {
            try
            {
                return await Grid.SubmitAsync(r);
            }
            catch (Exception e) when (e is not ComputeGridValidationException)
            {
                return null;
            }
        }));
        Assert.Contains(first, j => j is null);

        // Every refused submission is retried with the same id; each job ends up placed once, and the data center holds
        // exactly the reservations of the jobs that are placed there.
        var retried = await Task.WhenAll(requests.Select(r => Grid.SubmitAsync(r)));
        Assert.All(retried, j => Assert.True(j.State.HoldsCapacity(), $"{j.JobId} is {j.State}"));
        await Eventually.TrueAsync(
            async () => (await dc.GetSnapshotAsync())!.Reservations == jobs,
            "the data center holds one reservation per placed job");
        var snapshot = await dc.GetSnapshotAsync();
        Assert.Equal(gpus - jobs, snapshot!.Free.GpusOf("BATCHFAIL"));

        await Task.WhenAll(retried.Select(j => Grid.CancelJobAsync(j.JobId)));
    }
}
