using System.Diagnostics;
using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Telemetry;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Tests;

/// <summary>A region's queue pass and the jobs it places: one slow job must not keep the region from its other work.</summary>
[Collection(GridCollection.Name)]
public sealed class QueueDrainTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    [Fact]
    public async Task A_queue_pass_tells_the_jobs_it_placed_together_so_a_job_whose_write_hangs_holds_up_no_other()
    {
        const string hub = "inner-mongolia";
        await fixture.RegisterPrivateDataCenterAsync("drain-dc-1", hub, "DRAIN", gpus: 1);
        JobRequest Held() => Jobs.OnGpu("drain", "DRAIN", hub, TimeSpan.FromHours(1), id: Jobs.NewId(HoldingExecutor.HoldPrefix + "drain"));
        var holder = await Grid.SubmitAsync(Held());
        var a = await Grid.SubmitAsync(Held());
        var b = await Grid.SubmitAsync(Held());
        Assert.Equal(JobState.Scheduled, holder.State);
        Assert.Equal(JobState.Queued, a.State);
        Assert.Equal(JobState.Queued, b.State);

        // The job the pass reaches first is the one whose assignment hangs (its write is held).
        var order = (await fixture.Cluster.Client.GetGrain<IRegionGrain>(hub).GetQueueAsync())
            .Select(q => q.JobId).Where(id => id == a.JobId || id == b.JobId).ToList();
        var (slow, other) = (order[0], order[1]);
        var slowGrain = fixture.Cluster.Client.GetGrain<IJobGrain>(slow).GetGrainId();
        fixture.Faults.HoldWrites(slowGrain);
        try
        {
            // A new data center with room for both: the region's next queue pass places them together.
            await fixture.RegisterPrivateDataCenterAsync("drain-dc-2", hub, "DRAIN", gpus: 2);
            await Eventually.TrueAsync(
                async () => (await Grid.GetJobAsync(other)).State == JobState.Scheduled,
                "the other job is told its placement while the first one's write hangs",
                TimeSpan.FromSeconds(20));
            Assert.Equal(JobState.Queued, (await Grid.GetJobAsync(slow)).State);
        }
        finally
        {
            fixture.Faults.ReleaseWrites(slowGrain);
        }

        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(slow)).State == JobState.Scheduled, "the slow job is scheduled once its write goes through");
        foreach (var job in new[] { holder.JobId, a.JobId, b.JobId })
        {
            await Grid.CancelJobAsync(job);
        }
    }
    [Fact]
    public async Task A_burst_of_capacity_notices_makes_one_queue_pass_not_one_per_notice()
    {
        const string hub = "gba";
        var spec = await fixture.RegisterPrivateDataCenterAsync("burst-dc", hub, "BURST", gpus: 1);
        JobRequest Held() => Jobs.OnGpu("burst", "BURST", hub, TimeSpan.FromHours(1), id: Jobs.NewId(HoldingExecutor.HoldPrefix + "burst"));
        var holder = await Grid.SubmitAsync(Held());
        var waiting = await Grid.SubmitAsync(Held());
        Assert.Equal(JobState.Queued, waiting.State);

        // Each queue pass that believes the data center has room tries the waiting job there (a "place job" span), and
        // learns from the refusal that it has none.
        var tries = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TraceTags.GrainsSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                if (a.OperationName == "place job" && a.GetTagItem(TraceTags.JobId) as string == waiting.JobId)
                {
                    Interlocked.Increment(ref tries);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        // 40 notices that the data center is empty (as 40 jobs ending there would send) arrive while the region is busy
        // (a submission's write is held), as they do under load: on a quiet machine a pass could otherwise run between
        // any two of them, whatever the region does.
        var region = fixture.Cluster.Client.GetGrain<IRegionGrain>(hub);
        var regionId = region.GetGrainId();
        var writesBefore = fixture.Faults.WritesOf(regionId);
        fixture.Faults.HoldWrites(regionId);
        Task<JobSnapshot> busy;
        try
        {
            busy = Grid.SubmitAsync(Held());
            await Eventually.TrueAsync(() => Task.FromResult(fixture.Faults.WritesOf(regionId) > writesBefore), "the region is in a turn that writes");
            await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => region.OnCapacityFreedAsync(spec.Id, spec.Capacity)));
        }
        finally
        {
            fixture.Faults.ReleaseWrites(regionId);
        }

        var third = await busy;

        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref tries) > 0), "a queue pass tries the waiting job");
        await region.GetQueueAsync();
        await region.GetQueueAsync();
        Assert.InRange(Volatile.Read(ref tries), 1, 5);
        Assert.Equal(JobState.Queued, (await Grid.GetJobAsync(waiting.JobId)).State);

        await Grid.CancelJobAsync(third.JobId);
        await Grid.CancelJobAsync(waiting.JobId);
        await Grid.CancelJobAsync(holder.JobId);
    }

    [Fact]
    public async Task A_queue_pass_that_spends_its_budget_lets_waiting_calls_in_and_goes_on_after_them()
    {
        const string hub = "chengyu";
        await fixture.RegisterPrivateDataCenterAsync("pass-dc-1", hub, "PASS", gpus: 1);
        JobRequest Held() => Jobs.OnGpu("pass", "PASS", hub, TimeSpan.FromHours(1), id: Jobs.NewId(HoldingExecutor.HoldPrefix + "pass"));
        var holder = await Grid.SubmitAsync(Held());
        var waiting = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            waiting.Add((await Grid.SubmitAsync(Held())).JobId);
        }

        // GetQueueAsync waits for the region's turn (GetQueueLengthAsync interleaves): it is answered only between passes.
        var region = fixture.Cluster.Client.GetGrain<IRegionGrain>(hub);
        var before = (await region.GetQueueAsync()).Count;
        Assert.True(before >= 8);

        // Room for all 8 at a data center whose every write (each reservation) takes 400 ms: one pass would take 3.2 s.
        var slowDataCenter = fixture.Cluster.Client.GetGrain<IDataCenterGrain>("pass-dc-2").GetGrainId();
        fixture.Faults.SlowWrites(slowDataCenter, TimeSpan.FromMilliseconds(400));
        try
        {
            await fixture.RegisterPrivateDataCenterAsync("pass-dc-2", hub, "PASS", gpus: 8);

            // A call waits behind the pass at all times: the first answer after the pass began comes between two passes.
            var polling = Stopwatch.StartNew();
            int length;
            do
            {
                Assert.True(polling.Elapsed < TimeSpan.FromSeconds(30), "the region began no queue pass");
                length = (await region.GetQueueAsync()).Count;
            }
            while (length == before);

            Assert.InRange(length, before - 7, before - 1);
            await Eventually.TrueAsync(async () => (await region.GetQueueAsync()).Count == before - 8, "the later passes place the rest", TimeSpan.FromSeconds(30));
        }
        finally
        {
            fixture.Faults.FastWrites(slowDataCenter);
        }

        foreach (var job in waiting.Append(holder.JobId))
        {
            await Grid.CancelJobAsync(job);
        }
    }
}
