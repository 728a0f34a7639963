using ComputeGrid.Client;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Jobs;
using Microsoft.Extensions.DependencyInjection;
using JobRecord = ComputeGrid.Grains.Jobs.JobRecord;

namespace ComputeGrid.Grains.Tests;

/// <summary>Job dependencies end to end through the SDK: Blocked until the targets allow, Unsatisfiable when they never will.</summary>
[Collection(GridCollection.Name)]
public sealed class DependencyTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    private static JobRequest After(JobRequest request, DependencyCondition condition, string target, DependencyTarget kind = DependencyTarget.Job) =>
        request with { DependsOn = [.. request.DependsOn ?? [], new JobDependency(condition, target, kind)] };

    private async Task<JobSnapshot> UntilAsync(string jobId, JobState state) =>
        await Eventually.ValueAsync(() => Grid.GetJobAsync(jobId), j => j.State == state, $"{jobId} is {state}", TimeSpan.FromSeconds(60));

    [Fact]
    public async Task A_job_that_waits_afterok_is_blocked_while_its_target_runs_and_placed_once_it_succeeded()
    {
        var first = await Grid.SubmitAsync(Jobs.Batch("deps-ok") with { RunTime = TimeSpan.FromMinutes(20) });
        await UntilAsync(first.JobId, JobState.Running);

        var second = await Grid.SubmitAsync(After(Jobs.Batch("deps-ok"), DependencyCondition.AfterOk, first.JobId));
        Assert.Equal(JobState.Blocked, second.State);
        Assert.Null(second.Placement);
        Assert.Contains($"afterok:{first.JobId}", second.History[^1].Detail, StringComparison.Ordinal);

        fixture.Time.Advance(TimeSpan.FromMinutes(20));

        await UntilAsync(first.JobId, JobState.Succeeded);
        var placed = await Eventually.ValueAsync(() => Grid.GetJobAsync(second.JobId), j => j.State.HoldsCapacity(), "the dependent is placed", TimeSpan.FromSeconds(60));
        Assert.Equal([JobState.Pending, JobState.Blocked, JobState.Scheduled], placed.History.Take(3).Select(e => e.State));
        Assert.StartsWith($"dependency afterok:{first.JobId} met; ", placed.History[2].Detail, StringComparison.Ordinal);
        await Grid.CancelJobAsync(second.JobId);
    }

    [Fact]
    public async Task A_job_whose_afterok_target_ends_without_succeeding_is_unsatisfiable_and_its_afterany_dependent_runs()
    {
        var first = await Grid.SubmitAsync(Jobs.Batch("deps-never") with { RunTime = TimeSpan.FromHours(5) });
        var second = await Grid.SubmitAsync(After(Jobs.Batch("deps-never"), DependencyCondition.AfterOk, first.JobId));
        var third = await Grid.SubmitAsync(After(Jobs.Batch("deps-never"), DependencyCondition.AfterAny, second.JobId));
        Assert.Equal(JobState.Blocked, second.State);
        Assert.Equal(JobState.Blocked, third.State);

        await Grid.CancelJobAsync(first.JobId);

        var unsatisfiable = await UntilAsync(second.JobId, JobState.Unsatisfiable);
        Assert.Contains($"afterok:{first.JobId} can never be met", unsatisfiable.History[^1].Detail, StringComparison.Ordinal);
        Assert.Null(unsatisfiable.Placement);
        Assert.DoesNotContain(unsatisfiable.History, e => e.State is JobState.Scheduled or JobState.Running);

        // The chain goes on: afterany holds for a job that ended in any way, Unsatisfiable included.
        var placed = await Eventually.ValueAsync(() => Grid.GetJobAsync(third.JobId), j => j.State.HoldsCapacity(), "the afterany dependent is placed", TimeSpan.FromSeconds(60));
        Assert.NotNull(placed.Placement);
        await Grid.CancelJobAsync(third.JobId);
    }

    [Fact]
    public async Task A_dependency_on_an_unknown_job_another_tenants_job_or_itself_is_refused_naming_the_field_and_creates_nothing()
    {
        var other = await Grid.SubmitAsync(Jobs.Batch("deps-other-tenant") with { RunTime = TimeSpan.FromHours(5) });

        var unknown = After(Jobs.Batch("deps-refused"), DependencyCondition.AfterOk, "no-such-job-" + Guid.NewGuid().ToString("n"));
        var e1 = await Assert.ThrowsAnyAsync<ComputeGridValidationException>(() => Grid.SubmitAsync(unknown));
        Assert.Equal("dependsOn[0].jobId", e1.Field);
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.GetJobAsync(unknown.JobId!));

        var foreign = After(Jobs.Batch("deps-refused"), DependencyCondition.AfterAny, other.JobId);
        var e2 = await Assert.ThrowsAnyAsync<ComputeGridValidationException>(() => Grid.SubmitAsync(foreign));
        Assert.Equal("dependsOn[0].jobId", e2.Field);
        Assert.DoesNotContain("deps-other-tenant", e2.Reason, StringComparison.Ordinal);

        var id = Jobs.NewId();
        var self = After(Jobs.Batch("deps-refused", id: id), DependencyCondition.AfterOk, id);
        var e3 = await Assert.ThrowsAnyAsync<ComputeGridValidationException>(() => Grid.SubmitAsync(self));
        Assert.Equal("dependsOn[0].jobId", e3.Field);
        Assert.Contains("cycle", e3.Reason, StringComparison.Ordinal);
        await Grid.CancelJobAsync(other.JobId);
    }

    [Fact]
    public async Task A_dependency_on_a_job_whose_answering_activation_never_read_its_record_is_not_refused_as_unknown()
    {
        const string tenant = "deps-stale";
        var source = await Grid.SubmitAsync(Jobs.Batch(tenant));
        await Grid.CancelJobAsync(source.JobId, "its record is copied");
        var targetId = Jobs.NewId("stale");

        // An activation of the target that found no record and stays, and then the target's record appears in storage
        // behind its back, as a duplicate activation's write during a membership change does.
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.GetJobAsync(targetId));
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(Hosting.GridStorage.Name);
        var stored = new GrainState<JobRecord>(new JobRecord());
        await storage.ReadStateAsync(JobRecord.StateName, GrainId.Create("job", source.JobId), stored);
        await storage.WriteStateAsync(JobRecord.StateName, GrainId.Create("job", targetId), new GrainState<JobRecord>(stored.State));

        // The stale activation answers with a fault the SDK retries, and goes; the retry reaches one that read the record
        // (this fixture's own client makes one attempt only, so a client with the SDK's default retries submits).
        var retrying = new ComputeGridClient(fixture.Cluster.Client, new ComputeGridRetryOptions());
        var dependent = await retrying.SubmitAsync(After(Jobs.Batch(tenant), DependencyCondition.AfterAny, targetId));

        Assert.True(dependent.State is JobState.Scheduled or JobState.Queued or JobState.Running, $"the dependent is {dependent.State}");
        await Grid.CancelJobAsync(dependent.JobId);
    }

    [Fact]
    public async Task Submitting_a_blocked_job_again_returns_it_and_cancelling_it_releases_nothing_and_ends_it()
    {
        var first = await Grid.SubmitAsync(Jobs.Batch("deps-idem") with { RunTime = TimeSpan.FromHours(5) });
        var request = After(Jobs.Batch("deps-idem"), DependencyCondition.AfterOk, first.JobId);

        var blocked = await Grid.SubmitAsync(request);
        var again = await Grid.SubmitAsync(request);
        Assert.Equal(JobState.Blocked, again.State);
        Assert.Equal(blocked.History.Count, again.History.Count);

        var cancelled = await Grid.CancelJobAsync(blocked.JobId);
        Assert.Equal(JobState.Cancelled, cancelled.State);

        // Its target ending later does not bring it back.
        await Grid.CancelJobAsync(first.JobId);
        await UntilAsync(first.JobId, JobState.Cancelled);
        var still = await Grid.GetJobAsync(blocked.JobId);
        Assert.Equal(JobState.Cancelled, still.State);
        Assert.Equal([JobState.Pending, JobState.Blocked, JobState.Cancelled], still.History.Select(e => e.State));
    }

    [Fact]
    public async Task A_job_after_a_whole_array_waits_for_every_element_and_a_job_after_an_element_waits_for_that_one()
    {
        await fixture.RegisterPrivateDataCenterAsync("deps-array-dc", "gansu", "DEPSARR", gpus: 20, cores: 40);
        var array = new JobArrayRequest
        {
            ArrayId = Jobs.NewId("deps-array"),
            Template = Jobs.OnGpu("deps-array", "DEPSARR", "gansu", TimeSpan.FromMinutes(30)) with { JobId = null },
            Count = 4,
        };
        await Grid.SubmitArrayAsync(array);

        var afterAll = await Grid.SubmitAsync(After(Jobs.Batch("deps-array"), DependencyCondition.AfterAny, array.ArrayId!, DependencyTarget.Array));
        var afterOne = await Grid.SubmitAsync(After(Jobs.Batch("deps-array"), DependencyCondition.AfterAny, $"{array.ArrayId}-2"));
        Assert.Equal(JobState.Blocked, afterAll.State);
        Assert.Equal(JobState.Blocked, afterOne.State);

        await Grid.CancelJobAsync($"{array.ArrayId}-2");
        await Eventually.ValueAsync(() => Grid.GetJobAsync(afterOne.JobId), j => j.State.HoldsCapacity(), "the job after element 2 is placed", TimeSpan.FromSeconds(60));
        Assert.Equal(JobState.Blocked, (await Grid.GetJobAsync(afterAll.JobId)).State);

        await Grid.CancelArrayAsync(array.ArrayId!);
        await Eventually.ValueAsync(() => Grid.GetJobAsync(afterAll.JobId), j => j.State.HoldsCapacity(), "the job after the whole array is placed", TimeSpan.FromSeconds(90));
        await Grid.CancelJobAsync(afterAll.JobId);
        await Grid.CancelJobAsync(afterOne.JobId);
    }

    [Fact]
    public async Task A_job_after_a_job_that_already_runs_is_placed_at_once_without_blocking()
    {
        var first = await Grid.SubmitAsync(Jobs.Batch("deps-after") with { RunTime = TimeSpan.FromHours(5) });
        await UntilAsync(first.JobId, JobState.Running);

        var second = await Grid.SubmitAsync(After(Jobs.Batch("deps-after"), DependencyCondition.After, first.JobId));

        Assert.True(second.State.HoldsCapacity(), $"placed at once, was {second.State}");
        Assert.DoesNotContain(second.History, e => e.State == JobState.Blocked);
        await Grid.CancelJobAsync(first.JobId);
        await Grid.CancelJobAsync(second.JobId);
    }

    [Fact]
    public async Task An_array_that_waits_afterok_holds_every_element_blocked_and_submits_them_once_its_target_succeeded()
    {
        await fixture.RegisterPrivateDataCenterAsync("deps-waiting-array-dc", "gansu", "DEPSWAIT", gpus: 8, cores: 16);
        var first = await Grid.SubmitAsync(Jobs.Batch("deps-waiting-array") with { RunTime = TimeSpan.FromMinutes(40) });
        await UntilAsync(first.JobId, JobState.Running);
        var request = new JobArrayRequest
        {
            ArrayId = Jobs.NewId("deps-waiting-array"),
            Template = Jobs.OnGpu("deps-waiting-array", "DEPSWAIT", "gansu", TimeSpan.FromHours(1)) with { JobId = null, DependsOn = [new JobDependency(DependencyCondition.AfterOk, first.JobId)] },
            Count = 4,
        };

        var waiting = await Grid.SubmitArrayAsync(request);
        Assert.Equal(4, waiting.Counts[JobState.Blocked]);
        var element = await Grid.GetJobAsync($"{request.ArrayId}-1");
        Assert.Equal(JobState.Blocked, element.State);
        Assert.Contains($"afterok:{first.JobId}", element.History[^1].Detail, StringComparison.Ordinal);

        fixture.Time.Advance(TimeSpan.FromMinutes(40));

        await UntilAsync(first.JobId, JobState.Succeeded);
        var placed = await Eventually.ValueAsync(() => Grid.GetArrayAsync(request.ArrayId!), a => a.Counts[JobState.Scheduled] + a.Counts[JobState.Running] == 4, "every element is placed", TimeSpan.FromSeconds(90));
        Assert.Equal(0, placed.Counts[JobState.Blocked]);
        await Grid.CancelArrayAsync(request.ArrayId!);
    }

    [Fact]
    public async Task An_array_whose_dependency_can_never_hold_ends_every_element_unsatisfiable_and_one_naming_itself_is_refused()
    {
        var first = await Grid.SubmitAsync(Jobs.Batch("deps-never-array") with { RunTime = TimeSpan.FromHours(5) });
        var request = new JobArrayRequest
        {
            ArrayId = Jobs.NewId("deps-never-array"),
            Template = Jobs.Batch("deps-never-array") with { JobId = null, DependsOn = [new JobDependency(DependencyCondition.AfterOk, first.JobId)] },
            Count = 3,
        };
        Assert.Equal(3, (await Grid.SubmitArrayAsync(request)).Counts[JobState.Blocked]);

        await Grid.CancelJobAsync(first.JobId);

        var ended = await Eventually.ValueAsync(() => Grid.GetArrayAsync(request.ArrayId!), a => a.Counts[JobState.Unsatisfiable] == 3, "every element is unsatisfiable", TimeSpan.FromSeconds(60));
        Assert.Equal(3, ended.Counts.Values.Sum());
        var element = await Grid.GetJobAsync($"{request.ArrayId}-0");
        Assert.Equal(JobState.Unsatisfiable, element.State);
        Assert.Contains("can never be met", element.History[^1].Detail, StringComparison.Ordinal);

        var itself = request with { ArrayId = Jobs.NewId("deps-self-array") };
        itself = itself with { Template = itself.Template with { DependsOn = [new JobDependency(DependencyCondition.AfterAny, itself.ArrayId!, DependencyTarget.Array)] } };
        var refused = await Assert.ThrowsAnyAsync<ComputeGridValidationException>(() => Grid.SubmitArrayAsync(itself));
        Assert.Equal("template.dependsOn[0].arrayId", refused.Field);
    }
}
