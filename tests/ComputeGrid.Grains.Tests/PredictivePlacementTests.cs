using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Grains.Tests;

/// <summary>
/// GreenestPredictive end to end: a job whose greenest data center is full waits for it when the region predicts room
/// there within the bound (<c>ComputeGrid:PredictiveMaxWait</c>, one hour by default), and takes the best place with room
/// when it does not, or once it has waited its bound. Each test owns two data centers of its own GPU model in its origin
/// hub: a clean one with one GPU and a dirty one with one GPU.
/// </summary>
[Collection(GridCollection.Name)]
public sealed class PredictivePlacementTests(GridClusterFixture fixture)
{
    private const string Hub = "chengyu";

    private IComputeGridClient Grid => fixture.Grid;

    private async Task<(string Green, string Dirty)> TwoDataCentersAsync(string name)
    {
        var green = $"{name.ToLowerInvariant()}-green";
        var dirty = $"{name.ToLowerInvariant()}-dirty";
        // Dirtier and dearer than every shipped data center, and one core in size, so that no other test's job lands here;
        // between the two the green one saves a third of the carbon.
        foreach (var (id, energy) in new[] { (green, new EnergyProfile(1.5, 1.4, 0.0, 50)), (dirty, new EnergyProfile(2.0, 1.5, 0.0, 50)) })
        {
            await Grid.Admin.RegisterDataCenterAsync(new DataCenterSpec(id, $"Test {id}", Hub, fixture.Topology.Hubs[Hub].Location, ResourceVector.Of(1_000, 1_024, [new(name, 1)]), energy));
        }

        await Eventually.TrueAsync(async () => (await Grid.Admin.GetDirectoryAsync()).DataCenters.Any(d => d.Spec.Id == dirty), "the data centers are in the directory");
        return (green, dirty);
    }

    private static JobRequest OnGpu(string model, TimeSpan runTime, PlacementPolicy policy, string? id = null) =>
        Jobs.OnGpu("predictive", model, Hub, runTime, id) with { Policy = policy };

    [Fact]
    public async Task A_GreenestPredictive_job_waits_for_its_full_greenest_data_center_that_frees_within_the_bound_and_then_runs_there()
    {
        var (green, _) = await TwoDataCentersAsync("PREDWAIT");
        var filler = await Grid.SubmitAsync(OnGpu("PREDWAIT", TimeSpan.FromMinutes(20), PlacementPolicy.Greenest));
        Assert.Equal(green, filler.Placement?.DataCenterId);

        var waiting = await Grid.SubmitAsync(OnGpu("PREDWAIT", TimeSpan.FromHours(1), PlacementPolicy.GreenestPredictive));

        Assert.Equal(JobState.Queued, waiting.State);
        Assert.Contains($"waiting for its greenest data center {green}", waiting.History[^1].Detail, StringComparison.Ordinal);
        var explained = await Grid.ExplainJobAsync(waiting.JobId);
        Assert.Contains($"waiting for its greenest data center {green}", explained.Region.Summary, StringComparison.Ordinal);

        // The filler's declared run time ends: the green data center frees and the waiting job runs there, not at the dirty one.
        fixture.Time.Advance(TimeSpan.FromMinutes(20));
        var placed = await fixture.PlacedAsync(waiting.JobId);
        Assert.Equal(green, placed.Placement?.DataCenterId);
        await Grid.CancelJobAsync(waiting.JobId);
    }

    [Fact]
    public async Task A_GreenestPredictive_job_spills_at_once_when_its_greenest_data_center_would_not_free_within_the_bound()
    {
        var (green, dirty) = await TwoDataCentersAsync("PREDSPILL");
        var filler = await Grid.SubmitAsync(OnGpu("PREDSPILL", TimeSpan.FromHours(3), PlacementPolicy.Greenest));
        Assert.Equal(green, filler.Placement?.DataCenterId);

        var spilled = await Grid.SubmitAsync(OnGpu("PREDSPILL", TimeSpan.FromHours(1), PlacementPolicy.GreenestPredictive));

        Assert.True(spilled.State.HoldsCapacity(), $"placed at once, not {spilled.State}");
        Assert.Equal(dirty, spilled.Placement?.DataCenterId);
        await Grid.CancelJobAsync(spilled.JobId);
        await Grid.CancelJobAsync(filler.JobId);
    }

    [Fact]
    public async Task A_GreenestPredictive_job_whose_predicted_room_never_comes_spills_once_it_has_waited_its_bound()
    {
        var (green, dirty) = await TwoDataCentersAsync("PREDBOUND");

        // Declared 20 minutes, but held: it never ends by itself, so the prediction is wrong.
        var filler = await Grid.SubmitAsync(OnGpu("PREDBOUND", TimeSpan.FromMinutes(20), PlacementPolicy.Greenest, Jobs.NewId(HoldingExecutor.HoldPrefix)));
        Assert.Equal(green, filler.Placement?.DataCenterId);
        var waiting = await Grid.SubmitAsync(OnGpu("PREDBOUND", TimeSpan.FromHours(1), PlacementPolicy.GreenestPredictive));
        Assert.Equal(JobState.Queued, waiting.State);

        // Past the predicted start it still waits (the filler is overdue, so room is expected any moment) ...
        fixture.Time.Advance(TimeSpan.FromMinutes(30));
        await Eventually.TrueAsync(async () => !await QueuePassPendingAsync(), "the pass the predicted start asked for is done");
        Assert.Equal(JobState.Queued, (await Grid.GetJobAsync(waiting.JobId)).State);

        // ... and at its bound it takes the best place with room: the dirty data center.
        fixture.Time.Advance(TimeSpan.FromMinutes(30));
        var placed = await fixture.PlacedAsync(waiting.JobId);
        Assert.Equal(dirty, placed.Placement?.DataCenterId);
        await Grid.CancelJobAsync(waiting.JobId);
        await Grid.CancelJobAsync(filler.JobId);
    }

    private Task<bool> QueuePassPendingAsync() =>
        fixture.Cluster.Client.GetGrain<Contracts.IRegionGrain>(Hub).IsQueuePassPendingAsync();
}
