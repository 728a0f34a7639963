using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class PlacementTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    [Fact]
    public async Task A_batch_job_from_Shanghai_with_policy_Greenest_goes_to_the_greenest_feasible_data_center()
    {
        var request = Jobs.Batch("greenest", origin: "yangtze", policy: PlacementPolicy.Greenest);
        var candidates = fixture.Topology.DataCenters.Values.Select(d => new CandidateState(d, DataCenterStatus.Online, d.Capacity));
        var greenest = PlacementEngine.Plan(request.ToSpec(), fixture.Topology, candidates).Ranked[0].DataCenterId;

        var job = await fixture.PlacedAsync((await Grid.SubmitAsync(request)).JobId);

        Assert.Equal("guian", greenest);
        Assert.Equal(greenest, job.Placement!.DataCenterId);
        Assert.Equal("guizhou", job.Placement.HubId);
        await Grid.CancelJobAsync(job.JobId);
    }

    [Fact]
    public async Task An_interactive_job_stays_within_5_ms_of_its_origin()
    {
        var job = await fixture.PlacedAsync((await Grid.SubmitAsync(Jobs.Batch("interactive", origin: "yangtze", policy: PlacementPolicy.Greenest) with { LatencyClass = LatencyClass.Interactive })).JobId);

        Assert.True(job.Placement!.LatencyMs <= 5, $"latency {job.Placement.LatencyMs} ms");
        Assert.Equal("yangtze", job.Placement.HubId);
        await Grid.CancelJobAsync(job.JobId);
    }

    [Fact]
    public async Task A_regional_job_stays_within_20_ms_of_its_origin()
    {
        var job = await fixture.PlacedAsync((await Grid.SubmitAsync(Jobs.Batch("regional", origin: "gba", policy: PlacementPolicy.Cheapest) with { LatencyClass = LatencyClass.Regional })).JobId);

        Assert.True(job.Placement!.LatencyMs <= 20, $"latency {job.Placement.LatencyMs} ms");
        await Grid.CancelJobAsync(job.JobId);
    }

    [Fact]
    public async Task A_job_with_data_residency_runs_only_in_its_allowed_hubs()
    {
        var job = await fixture.PlacedAsync((await Grid.SubmitAsync(Jobs.Batch("residency", origin: "yangtze", policy: PlacementPolicy.Greenest) with { AllowedHubs = ["bth", "gba"] })).JobId);

        Assert.Contains(job.Placement!.HubId, new[] { "bth", "gba" });
        await Grid.CancelJobAsync(job.JobId);
    }

    [Fact]
    public async Task Policy_Fastest_uses_the_origins_own_region()
    {
        var job = await Grid.SubmitAsync(Jobs.Batch("fastest", origin: "bth", policy: PlacementPolicy.Fastest));

        Assert.Equal("zhangjiakou", job.Placement!.DataCenterId);
        await Grid.CancelJobAsync(job.JobId);
    }

    [Fact]
    public async Task A_job_needing_more_GPUs_than_any_data_center_has_is_rejected_at_submission()
    {
        var request = Jobs.Batch("never") with { Gpus = 600, GpuModel = "910B" };

        var e = await Assert.ThrowsAsync<JobRejectedException>(() => Grid.SubmitAsync(request));

        Assert.Equal("resources.gpus", e.Field);
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.GetJobAsync(request.JobId!));
    }

    [Fact]
    public async Task A_job_whose_allowed_hubs_are_all_beyond_its_latency_class_is_rejected_at_submission()
    {
        var request = Jobs.Batch("far") with { LatencyClass = LatencyClass.Interactive, AllowedHubs = ["guizhou"] };

        var e = await Assert.ThrowsAsync<JobRejectedException>(() => Grid.SubmitAsync(request));

        Assert.Equal("latencyClass", e.Field);
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.GetJobAsync(request.JobId!));
    }

    [Fact]
    public async Task A_GPU_model_that_no_allowed_data_center_has_is_rejected_at_submission()
    {
        var request = Jobs.Batch("nomodel", origin: "chengyu") with { Gpus = 1, GpuModel = "A800", AllowedHubs = ["chengyu"] };

        var e = await Assert.ThrowsAsync<JobRejectedException>(() => Grid.SubmitAsync(request));

        Assert.Equal("resources.gpuModel", e.Field);
    }
}
