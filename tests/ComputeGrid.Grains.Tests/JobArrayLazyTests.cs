using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Grains.Tests;

/// <summary>
/// Lazy activation of array elements: the array holds an element's state until the element needs its own activation.
/// Arrays named "hold-..." keep their placed elements Scheduled (the holding executor never reports them Running), so
/// nothing but the test activates them.
/// </summary>
[Collection(GridCollection.Name)]
public sealed class JobArrayLazyTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    private IGrainFactory Grains => fixture.Cluster.Client;

    private static JobArrayRequest HeldArray(string model, string origin, int count) => new()
    {
        ArrayId = Jobs.NewId(HoldingExecutor.HoldPrefix + "lazy"),
        Template = Jobs.OnGpu("arrays", model, origin, TimeSpan.FromHours(1)) with { JobId = null },
        Count = count,
    };

    private int JobWrites(string arrayId, int index) => fixture.Faults.WritesOf(Grains.GetGrain<IJobGrain>(JobArrayRules.ElementId(arrayId, index)).GetGrainId());

    private async Task<JobArraySnapshot> PlacedAndQueuedAsync(string arrayId, int placed, int queued)
    {
        await Eventually.TrueAsync(
            async () => await Grid.GetArrayAsync(arrayId) is var a && a.Counts[JobState.Scheduled] == placed && a.Counts[JobState.Queued] == queued,
            $"{placed} elements placed and {queued} queued",
            TimeSpan.FromSeconds(60));
        return await Grid.GetArrayAsync(arrayId);
    }

    [Fact]
    public async Task Elements_nobody_needs_have_no_job_grain_write_and_reading_or_explaining_one_writes_nothing()
    {
        await fixture.RegisterPrivateDataCenterAsync("lazy-read-dc", "ningxia", "LAZYREAD", gpus: 4, cores: 16);
        var request = HeldArray("LAZYREAD", "ningxia", 6);
        await Grid.SubmitArrayAsync(request);
        var array = await PlacedAndQueuedAsync(request.ArrayId!, placed: 4, queued: 2);
        Assert.Equal(6, array.Submitted);

        Assert.All(Enumerable.Range(0, 6), i => Assert.Equal(0, JobWrites(request.ArrayId!, i)));

        var scheduled = (await Grid.ListArrayElementsAsync(request.ArrayId!, JobState.Scheduled)).Elements[0];
        var queued = (await Grid.ListArrayElementsAsync(request.ArrayId!, JobState.Queued)).Elements[0];
        var placedJob = await Grid.GetJobAsync(scheduled.JobId);
        Assert.Equal(JobState.Scheduled, placedJob.State);
        Assert.Equal("lazy-read-dc", placedJob.Placement!.DataCenterId);
        Assert.Equal([JobState.Pending, JobState.Scheduled], placedJob.History.Select(e => e.State));
        Assert.Equal(scheduled.Index, placedJob.Spec.ArrayIndex);
        var queuedJob = await Grid.GetJobAsync(queued.JobId);
        Assert.Equal([JobState.Pending, JobState.Queued], queuedJob.History.Select(e => e.State));
        Assert.Null(queuedJob.Placement);
        var explained = await Grid.ExplainJobAsync(queued.JobId);
        Assert.Equal(JobState.Queued, explained.Job.State);

        Assert.All(Enumerable.Range(0, 6), i => Assert.Equal(0, JobWrites(request.ArrayId!, i)));
        await Grid.CancelArrayAsync(request.ArrayId!);
    }

    [Fact]
    public async Task Cancelling_a_held_element_activates_it_releases_its_capacity_or_queue_entry_and_the_array_counts_it()
    {
        var spec = await fixture.RegisterPrivateDataCenterAsync("lazy-cancel-dc", "gansu", "LAZYCANCEL", gpus: 2, cores: 8);
        var request = HeldArray("LAZYCANCEL", "gansu", 3);
        await Grid.SubmitArrayAsync(request);
        await PlacedAndQueuedAsync(request.ArrayId!, placed: 2, queued: 1);
        var scheduled = (await Grid.ListArrayElementsAsync(request.ArrayId!, JobState.Scheduled)).Elements[0];
        var queued = (await Grid.ListArrayElementsAsync(request.ArrayId!, JobState.Queued)).Elements[0];

        // The queued element first: cancelling the placed one frees room the region would give the queued one at once.
        var cancelledQueued = await Grid.CancelJobAsync(queued.JobId, "test");
        var cancelledPlaced = await Grid.CancelJobAsync(scheduled.JobId, "test");

        Assert.Equal([JobState.Pending, JobState.Scheduled, JobState.Cancelled], cancelledPlaced.History.Select(e => e.State));
        Assert.Equal([JobState.Pending, JobState.Queued, JobState.Cancelled], cancelledQueued.History.Select(e => e.State));
        Assert.True(JobWrites(request.ArrayId!, scheduled.Index) > 0);
        Assert.Equal(JobState.Cancelled, (await Grid.GetJobAsync(queued.JobId)).State);
        Assert.DoesNotContain(await Grains.GetGrain<IRegionGrain>("gansu").GetQueueAsync(), q => q.JobId == queued.JobId);
        await Eventually.TrueAsync(async () => (await Grains.GetGrain<IDataCenterGrain>(spec.Id).GetSnapshotAsync())!.Reservations == 1, "the cancelled element's reservation is released");
        await Eventually.TrueAsync(async () => (await Grid.GetArrayAsync(request.ArrayId!)).Counts[JobState.Cancelled] == 2, "the array counts both cancels");
        await Grid.CancelArrayAsync(request.ArrayId!);
    }

    [Fact]
    public async Task Reconciliation_keeps_the_reservation_and_placement_of_a_held_element_through_its_job_grain()
    {
        var spec = await fixture.RegisterPrivateDataCenterAsync("lazy-rc-dc", "guizhou", "LAZYRC", gpus: 3, cores: 12);
        var dataCenter = Grains.GetGrain<IDataCenterGrain>(spec.Id);
        var request = HeldArray("LAZYRC", "guizhou", 2);
        await Grid.SubmitArrayAsync(request);
        await PlacedAndQueuedAsync(request.ArrayId!, placed: 2, queued: 0);

        // Two witnesses in turn, reservations nobody owns: once the second is released, the data center and the region
        // have each judged the held elements over more passes than it takes them to drop or release what no job holds.
        foreach (var witness in new[] { "lazy-rc-nobody-1", "lazy-rc-nobody-2" })
        {
            Assert.Equal(ReservationOutcome.Reserved, (await dataCenter.ReserveAsync(witness, new ResourceRequest(1000, 1024, 1, "LAZYRC"), "guizhou", null, 100)).Outcome);
            await Eventually.TrueAsync(async () => (await dataCenter.GetSnapshotAsync())!.Reservations == 2, $"{witness} is released", TimeSpan.FromSeconds(60));
        }

        foreach (var i in new[] { 0, 1 })
        {
            var id = JobArrayRules.ElementId(request.ArrayId!, i);
            Assert.True(await Grains.GetGrain<IRegionGrain>("guizhou").HoldsPlacementAsync(id, spec.Id));
            Assert.Equal(JobState.Scheduled, (await Grid.GetJobAsync(id)).State);
            Assert.Equal(0, JobWrites(request.ArrayId!, i));
        }

        await Grid.CancelArrayAsync(request.ArrayId!);
    }

    [Fact]
    public async Task An_element_that_starts_is_recorded_running_by_its_array_without_a_write_of_its_own_until_it_ends()
    {
        await fixture.RegisterPrivateDataCenterAsync("lazy-run-dc", "bth", "LAZYRUN", gpus: 2, cores: 8);
        var request = new JobArrayRequest
        {
            ArrayId = Jobs.NewId("lazy-run"),
            Template = Jobs.OnGpu("arrays", "LAZYRUN", "bth", TimeSpan.FromMinutes(10)) with { JobId = null },
            Count = 2,
        };
        await Grid.SubmitArrayAsync(request);
        await Eventually.TrueAsync(async () => (await Grid.GetArrayAsync(request.ArrayId!)).Counts[JobState.Running] == 2, "both elements run", TimeSpan.FromSeconds(60));

        var running = await Grid.GetJobAsync(JobArrayRules.ElementId(request.ArrayId!, 1));
        Assert.Equal([JobState.Pending, JobState.Scheduled, JobState.Running], running.History.Select(e => e.State));
        Assert.NotNull(running.StartedAt);
        Assert.Equal(0, JobWrites(request.ArrayId!, 0));
        Assert.Equal(0, JobWrites(request.ArrayId!, 1));

        fixture.Time.Advance(TimeSpan.FromMinutes(11));

        await Eventually.TrueAsync(async () => (await Grid.GetArrayAsync(request.ArrayId!)).Counts[JobState.Succeeded] == 2, "both elements succeed", TimeSpan.FromSeconds(60));
        var done = await Grid.GetJobAsync(running.JobId);
        Assert.Equal([JobState.Pending, JobState.Scheduled, JobState.Running, JobState.Succeeded], done.History.Select(e => e.State));
        Assert.True(JobWrites(request.ArrayId!, 1) > 0);
        await Eventually.TrueAsync(async () => (await Grains.GetGrain<IDataCenterGrain>("lazy-run-dc").GetSnapshotAsync())!.Reservations == 0, "their capacity is back");
    }
}
