using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Tests;

/// <summary>Priority preemption within a hub, end to end: who is preempted, with what history, and who is not.</summary>
[Collection(GridCollection.Name)]
public sealed class PreemptionTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    [Fact]
    public async Task A_job_that_may_preempt_takes_the_place_of_the_lowest_priority_job_which_is_requeued_with_who_and_why()
    {
        await fixture.RegisterPrivateDataCenterAsync("preempt-dc", "gansu", "PREEMPT", gpus: 2, cores: 8);
        var low = await Grid.SubmitAsync(Jobs.OnGpu("preempt", "PREEMPT", "gansu", TimeSpan.FromHours(10), priority: 10));
        var mid = await Grid.SubmitAsync(Jobs.OnGpu("preempt", "PREEMPT", "gansu", TimeSpan.FromHours(10), priority: 50));
        Assert.True(low.State.HoldsCapacity() && mid.State.HoldsCapacity());

        var urgent = await Grid.SubmitAsync(Jobs.OnGpu("preempt", "PREEMPT", "gansu", TimeSpan.FromHours(1), priority: 900) with { Preemption = PreemptionPolicy.LowerPriority });
        Assert.Equal(JobState.Queued, urgent.State);

        var placed = await Eventually.ValueAsync(() => Grid.GetJobAsync(urgent.JobId), j => j.State.HoldsCapacity(), "the urgent job is placed", TimeSpan.FromSeconds(60));
        Assert.Equal("preempt-dc", placed.Placement!.DataCenterId);

        var victim = await Grid.GetJobAsync(low.JobId);
        Assert.Equal(JobState.Queued, victim.State);
        var preempted = Assert.Single(victim.History, e => e.State == JobState.Preempted);
        Assert.Contains($"preempted by job {urgent.JobId} (priority 900 over 10)", preempted.Detail, StringComparison.Ordinal);
        Assert.True((await Grid.GetJobAsync(mid.JobId)).State.HoldsCapacity(), "the higher of the two lower jobs keeps its place");

        foreach (var id in new[] { low.JobId, mid.JobId, urgent.JobId })
        {
            await Grid.CancelJobAsync(id);
        }
    }

    [Fact]
    public async Task A_higher_priority_job_whose_policy_is_Never_waits_and_the_job_that_may_preempt_is_the_one_named()
    {
        await fixture.RegisterPrivateDataCenterAsync("nopreempt-dc", "gansu", "NOPREEMPT", gpus: 1, cores: 4);
        var running = await Grid.SubmitAsync(Jobs.OnGpu("nopreempt", "NOPREEMPT", "gansu", TimeSpan.FromHours(10), priority: 500));
        Assert.True(running.State.HoldsCapacity());

        var polite = await Grid.SubmitAsync(Jobs.OnGpu("nopreempt", "NOPREEMPT", "gansu", TimeSpan.FromHours(1), priority: 900));
        Assert.Equal(JobState.Queued, polite.State);
        var urgent = await Grid.SubmitAsync(Jobs.OnGpu("nopreempt", "NOPREEMPT", "gansu", TimeSpan.FromHours(1), priority: 950) with { Preemption = PreemptionPolicy.LowerPriority });

        await Eventually.ValueAsync(() => Grid.GetJobAsync(urgent.JobId), j => j.State.HoldsCapacity(), "the job that may preempt is placed", TimeSpan.FromSeconds(60));
        var victim = await Grid.GetJobAsync(running.JobId);
        var preempted = Assert.Single(victim.History, e => e.State == JobState.Preempted);
        Assert.Contains($"preempted by job {urgent.JobId} (priority 950 over 500)", preempted.Detail, StringComparison.Ordinal);
        Assert.Equal(JobState.Queued, (await Grid.GetJobAsync(polite.JobId)).State);

        foreach (var id in new[] { running.JobId, polite.JobId, urgent.JobId })
        {
            await Grid.CancelJobAsync(id);
        }
    }
}
