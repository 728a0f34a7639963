using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class AdminTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    [Fact]
    public async Task A_registered_data_center_appears_in_the_pool_and_takes_work()
    {
        await fixture.RegisterPrivateDataCenterAsync("reg-dc", "inner-mongolia", "REG", gpus: 3);

        var pool = await Grid.GetPoolAsync();
        var job = await Grid.SubmitAsync(Jobs.OnGpu("reg", "REG", "inner-mongolia", TimeSpan.FromHours(5)));

        var dc = pool.Hubs.Single(h => h.Hub.Id == "inner-mongolia").DataCenters.Single(d => d.Spec.Id == "reg-dc");
        Assert.Equal(3, dc.Free.GpusOf("REG"));
        Assert.Equal("reg-dc", job.Placement!.DataCenterId);
        await Grid.CancelJobAsync(job.JobId);
    }

    [Fact]
    public async Task A_draining_data_center_takes_no_new_work_while_its_running_work_finishes()
    {
        await fixture.RegisterPrivateDataCenterAsync("drain-dc", "guizhou", "DRN", gpus: 4);
        var running = await Grid.SubmitAsync(Jobs.OnGpu("drain", "DRN", "guizhou", TimeSpan.FromHours(2)));
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(running.JobId)).State == JobState.Running, "the job runs");

        await Grid.Admin.DrainDataCenterAsync("drain-dc");
        var waiting = await Grid.SubmitAsync(Jobs.OnGpu("drain", "DRN", "guizhou", TimeSpan.FromHours(1)));
        fixture.Time.Advance(TimeSpan.FromHours(2));

        Assert.Equal(JobState.Queued, waiting.State);
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(running.JobId)).State == JobState.Succeeded, "the running job finishes");
        Assert.Equal(JobState.Queued, (await Grid.GetJobAsync(waiting.JobId)).State);
        Assert.Contains((await Grid.Admin.GetDirectoryAsync()).DataCenters, d => d.Spec.Id == "drain-dc" && d.Status == DataCenterStatus.Draining);

        await Grid.Admin.ResumeDataCenterAsync("drain-dc");
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(waiting.JobId)).State is JobState.Scheduled or JobState.Running, "the waiting job is placed after resume");
        await Grid.CancelJobAsync(waiting.JobId);
    }

    [Fact]
    public async Task Removing_a_data_center_is_refused_while_jobs_hold_capacity_there_and_then_succeeds()
    {
        await fixture.RegisterPrivateDataCenterAsync("remove-dc", "ningxia", "RMV", gpus: 1);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("remove", "RMV", "ningxia", TimeSpan.FromHours(100)));

        var refused = await Assert.ThrowsAsync<ComputeGridValidationException>(() => Grid.Admin.RemoveDataCenterAsync("remove-dc"));
        Assert.Equal("dataCenterId", refused.Field);
        Assert.Contains((await Grid.Admin.GetDirectoryAsync()).DataCenters, d => d.Spec.Id == "remove-dc");

        await Grid.CancelJobAsync(job.JobId);
        await Grid.Admin.RemoveDataCenterAsync("remove-dc");

        Assert.DoesNotContain((await Grid.Admin.GetDirectoryAsync()).DataCenters, d => d.Spec.Id == "remove-dc");
        await Eventually.TrueAsync(
            async () =>
            {
                try
                {
                    await Grid.SubmitAsync(Jobs.OnGpu("remove", "RMV", "ningxia", TimeSpan.FromHours(1)));
                    return false;
                }
                catch (ComputeGridValidationException e)
                {
                    return e.Field == "resources.gpuModel";
                }
            },
            "the removed data center's GPU model is unknown");
    }

    [Fact]
    public async Task Draining_or_removing_an_unknown_data_center_is_not_found()
    {
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.Admin.DrainDataCenterAsync("nowhere"));
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.Admin.RemoveDataCenterAsync("nowhere"));
    }

    [Theory]
    [InlineData("unknown-hub", "hub")]
    [InlineData("negative-cpu", "capacity.cpuMillicores")]
    [InlineData("bad-pue", "pue")]
    [InlineData("bad-green", "greenShare")]
    [InlineData("Bad_Id", "id")]
    [InlineData("guian", "id")]
    public async Task Registering_an_invalid_data_center_names_the_field_and_changes_nothing(string id, string field)
    {
        var spec = new DataCenterSpec(
            id,
            "Invalid",
            id == "unknown-hub" ? "atlantis" : "gansu",
            new GeoPoint(35, 107),
            ResourceVector.Of(id == "negative-cpu" ? -1 : 1000, 1024),
            new EnergyProfile(id == "bad-pue" ? 0.5 : 1.2, 0.5, id == "bad-green" ? 1.5 : 0.5, 0.4));
        var before = await Grid.Admin.GetDirectoryAsync();

        var e = await Assert.ThrowsAsync<ComputeGridValidationException>(() => Grid.Admin.RegisterDataCenterAsync(spec));

        Assert.Equal(field, e.Field);
        var after = await Grid.Admin.GetDirectoryAsync();
        Assert.Equal(before.Version, after.Version);
    }
}
