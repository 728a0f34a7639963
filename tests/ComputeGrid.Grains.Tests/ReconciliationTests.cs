using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Grains.Tests;

/// <summary>
/// Reconciliation repairs what a crash between two writes leaves behind. These tests break the records the way a crash
/// would (an execution lost with its silo, a reservation nobody owns, a reservation outliving its job) and watch the
/// passes (every second here) repair them.
/// </summary>
[Collection(GridCollection.Name)]
public sealed class ReconciliationTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    private IGrainFactory Grains => fixture.Cluster.Client;

    [Fact]
    public async Task A_running_job_whose_execution_was_lost_with_its_silo_is_restarted_and_ends_once()
    {
        await fixture.RegisterPrivateDataCenterAsync("rc-lost", "ningxia", "RLOST", gpus: 2, cores: 8);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("rc-lost", "RLOST", "ningxia", TimeSpan.FromMinutes(20)));
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Running, "the job runs");

        // As a kill -9 of the silo running it would: the simulated execution (its timer) is gone everywhere.
        foreach (var executor in fixture.Gate.Executors)
        {
            executor.Stop(job.JobId);
        }

        fixture.Time.Advance(TimeSpan.FromMinutes(21));

        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Succeeded, "reconciliation restarts the execution and the job succeeds", TimeSpan.FromSeconds(60));
        var done = await Grid.GetJobAsync(job.JobId);
        Assert.Equal([JobState.Pending, JobState.Scheduled, JobState.Running, JobState.Succeeded], done.History.Select(e => e.State));
        await Eventually.TrueAsync(async () => (await Snapshot("rc-lost")).Reservations == 0, "its capacity is back");
    }

    [Fact]
    public async Task On_a_silos_death_every_region_and_data_center_hosted_on_a_surviving_silo_is_asked_to_reconcile_at_once()
    {
        // Activate every region and data center of the pool; each lands on one of the two silos.
        await Grid.GetPoolAsync();
        var silo = fixture.Cluster.Silos[0];
        var reactor = silo.ServiceProvider.GetRequiredService<MembershipReactor>();
        var hosted = (await Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics(null, [silo.SiloAddress]))
            .Select(a => a.GrainId)
            .Where(g => g.Type.ToString() is "region" or "datacenter")
            .Distinct()
            .Count();

        var asked = await reactor.ReconcileLocalAsync(CancellationToken.None);

        Assert.True(hosted > 0, "silo 0 hosts no region or data center");
        Assert.Equal(hosted, asked);
    }

    [Fact]
    public void An_activation_runs_its_first_reconciliation_pass_within_two_seconds_not_a_whole_interval_later()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), MembershipReactor.FirstPass(TimeSpan.FromSeconds(10)));
        Assert.Equal(TimeSpan.FromSeconds(1), MembershipReactor.FirstPass(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_reservation_no_job_owns_is_released_after_the_reconcile_passes_and_the_capacity_is_free_again()
    {
        var spec = await fixture.RegisterPrivateDataCenterAsync("rc-orphan", "gansu", "RORPH", gpus: 2, cores: 8);
        var dataCenter = Grains.GetGrain<IDataCenterGrain>(spec.Id);

        // As a crash of a region between its reservation and recording the job would leave it: nobody knows this job.
        var reserved = await dataCenter.ReserveAsync("rc-orphan-nobody", new ResourceRequest(2000, 2048, 1, "RORPH"), "gansu", null, 100);
        Assert.Equal(ReservationOutcome.Reserved, reserved.Outcome);
        Assert.Equal(1, (await Snapshot(spec.Id)).Reservations);

        await Eventually.TrueAsync(async () => (await Snapshot(spec.Id)).Reservations == 0, "the orphaned reservation is released", TimeSpan.FromSeconds(60));
        Assert.Equal(spec.Capacity, (await Snapshot(spec.Id)).Free);
    }

    [Fact]
    public async Task A_slice_held_for_a_loan_its_grain_does_not_know_goes_back_to_its_data_center()
    {
        var spec = await fixture.RegisterPrivateDataCenterAsync("rc-ghostloan", "gansu", "RGHOST", gpus: 2, cores: 8);
        var dataCenter = Grains.GetGrain<IDataCenterGrain>(spec.Id);

        // A slice held for a loan its grain does not know (its record lost): no such loan exists.
        var held = await dataCenter.HoldForLoanAsync("rc-ghostloan.loan", "yangtze", ResourceVector.Of(4_000, 4_096));
        Assert.NotEqual(ResourceVector.Zero, held);
        Assert.Single(await dataCenter.GetLoanSlicesAsync());

        await Eventually.TrueAsync(async () => (await dataCenter.GetLoanSlicesAsync()).Count == 0, "the slice of the unknown loan is released", TimeSpan.FromSeconds(60));
        Assert.Equal(spec.Capacity, (await Snapshot(spec.Id)).Free);
    }

    [Fact]
    public async Task A_reservation_outliving_its_finished_job_is_released_by_the_job_repeating_its_exit()
    {
        var spec = await fixture.RegisterPrivateDataCenterAsync("rc-ended", "guizhou", "RENDED", gpus: 2, cores: 8);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("rc-ended", "RENDED", "guizhou", TimeSpan.FromMinutes(10)));
        await Grid.CancelJobAsync(job.JobId, "test");
        await Eventually.TrueAsync(async () => (await Snapshot(spec.Id)).Reservations == 0, "the cancelled job's capacity is back");

        // As a crash between the job's terminal write and its release would leave it: the reservation is still there.
        var dataCenter = Grains.GetGrain<IDataCenterGrain>(spec.Id);
        Assert.Equal(ReservationOutcome.Reserved, (await dataCenter.ReserveAsync(job.JobId, job.Spec.Resources, "guizhou", null, 100)).Outcome);

        await Eventually.TrueAsync(async () => (await Snapshot(spec.Id)).Reservations == 0, "the job's exit runs again and releases it", TimeSpan.FromSeconds(60));
        Assert.Equal(JobState.Cancelled, (await Grid.GetJobAsync(job.JobId)).State);
    }

    [Fact]
    public async Task A_reservation_left_at_one_data_center_by_a_job_that_ended_at_another_is_released_and_the_job_keeps_its_ending()
    {
        var ranAt = await fixture.RegisterPrivateDataCenterAsync("rc-ranat", "gba", "RRANAT", gpus: 1, cores: 8);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("rc-ranat", "RRANAT", "gba", TimeSpan.FromMinutes(10)));
        Assert.Equal(ranAt.Id, job.Placement!.DataCenterId);
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Running, "the job runs");
        await Grid.CancelJobAsync(job.JobId, "test");
        await Eventually.TrueAsync(async () => (await Snapshot(ranAt.Id)).Reservations == 0, "the cancelled job's capacity is back where it ran");

        // As a placement answer lost to a timeout leaves it (the chaos test's dependents did this): a region batch reserved
        // the job at another data center, and the job, placed again on its retry, never recorded that reservation.
        var other = await fixture.RegisterPrivateDataCenterAsync("rc-other", "gba", "RRANAT", gpus: 1, cores: 8);
        var dataCenter = Grains.GetGrain<IDataCenterGrain>(other.Id);
        Assert.Equal(ReservationOutcome.Reserved, (await dataCenter.ReserveAsync(job.JobId, job.Spec.Resources, "gba", null, 100)).Outcome);

        await Eventually.TrueAsync(async () => (await Snapshot(other.Id)).Reservations == 0, "the reservation the job never recorded is released", TimeSpan.FromSeconds(60));
        Assert.Equal(other.Capacity, (await Snapshot(other.Id)).Free);
        var ended = await Grid.GetJobAsync(job.JobId);
        Assert.Equal(JobState.Cancelled, ended.State);
        Assert.Equal(ranAt.Id, ended.Placement!.DataCenterId);
    }

    [Fact]
    public async Task A_retried_submission_whose_earlier_placement_was_released_meanwhile_is_reserved_again_before_it_is_recorded()
    {
        var spec = await fixture.RegisterPrivateDataCenterAsync("rc-lapsed", "chengyu", "RLAPSE", gpus: 1, cores: 8);
        var request = Jobs.OnGpu("rc-lapsed", "RLAPSE", "chengyu", TimeSpan.FromMinutes(10));

        // The first submission: the region placed the job, and the job never wrote it (its call timed out)...
        var first = await Grains.GetGrain<IRegionGrain>("chengyu").PlaceAsync(request.JobId!, request.ToSpec());
        Assert.Equal(spec.Id, first.Placement!.DataCenterId);

        // ...so reconciliation, seeing no job, released the reservation while the region still held the placement.
        await Grains.GetGrain<IDataCenterGrain>(spec.Id).ReleaseAsync(request.JobId!, Footprint.Zero, TimeSpan.Zero);
        Assert.Equal(0, (await Snapshot(spec.Id)).Reservations);

        var job = await Grid.SubmitAsync(request);

        Assert.Equal(spec.Id, job.Placement!.DataCenterId);
        Assert.Equal(1, (await Snapshot(spec.Id)).Reservations);
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Running, "the job runs where it is recorded");
        await Grid.CancelJobAsync(job.JobId, "test");
    }

    [Fact]
    public async Task A_queued_job_its_region_placed_but_never_told_runs_where_it_was_placed_with_one_reservation()
    {
        var spec = await fixture.RegisterPrivateDataCenterAsync("rc-untold", "inner-mongolia", "RUNTOLD", gpus: 1, cores: 8);
        var running = await Grid.SubmitAsync(Jobs.OnGpu("rc-untold", "RUNTOLD", "inner-mongolia", TimeSpan.FromHours(10)));
        var request = Jobs.OnGpu("rc-untold", "RUNTOLD", "inner-mongolia", TimeSpan.FromMinutes(10));
        Assert.Equal(JobState.Queued, (await Grid.SubmitAsync(request)).State);

        // As a failed assignment leaves it: the region took the job off its queue and placed it (reservation and record),
        // and the job, never told, still reads Queued.
        var region = Grains.GetGrain<IRegionGrain>("inner-mongolia");
        await region.DequeueAsync(request.JobId!);
        await Grid.CancelJobAsync(running.JobId, "test");
        await Eventually.TrueAsync(async () => (await Snapshot(spec.Id)).Reservations == 0, "the running job's capacity is back");
        Assert.Equal(spec.Id, (await region.PlaceAsync(request.JobId!, request.ToSpec())).Placement!.DataCenterId);

        // Never told: it reads Queued, unless a pass (every second here) already assigned it again on a loaded machine.
        Assert.Contains((await Grid.GetJobAsync(request.JobId!)).State, new[] { JobState.Queued, JobState.Scheduled, JobState.Running });

        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(request.JobId!)).State == JobState.Running, "reconciliation assigns it again", TimeSpan.FromSeconds(60));
        var job = await Grid.GetJobAsync(request.JobId!);
        Assert.Equal(spec.Id, job.Placement!.DataCenterId);
        Assert.Equal(1, (await Snapshot(spec.Id)).Reservations);
        await Grid.CancelJobAsync(job.JobId, "test");
    }

    [Fact]
    public async Task A_placement_storage_holds_but_the_answering_job_activation_never_read_keeps_its_reservation_and_is_read_again()
    {
        var spec = await fixture.RegisterPrivateDataCenterAsync("rc-unread", "gansu", "RUNREAD", gpus: 1, cores: 8);
        var request = Jobs.OnGpu("rc-unread", "RUNREAD", "gansu", TimeSpan.FromMinutes(10), id: Jobs.NewId("hold"));
        var job = await Grid.SubmitAsync(request);
        Assert.Equal(spec.Id, job.Placement!.DataCenterId);

        // As a duplicate activation after a silo crash (or a write reported failed that landed) leaves it: storage holds the
        // job Scheduled there, and the activation that answers for the job read storage before that and says "no job".
        var grainId = GrainId.Create("job", job.JobId);
        var stored = new GrainState<JobRecord>(new JobRecord());
        await Storage.ReadStateAsync("job", grainId, stored);
        var scheduled = stored.State;
        Assert.Equal(JobState.Scheduled, scheduled?.State);
        await Storage.ClearStateAsync("job", grainId, stored);
        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IJobGrain>(job.JobId));
        Assert.Null(await Grains.GetGrain<IJobGrain>(job.JobId).GetAsync());
        await Storage.WriteStateAsync("job", grainId, new GrainState<JobRecord>(scheduled!));

        // The region drops its record of a job that reads as unknown; the data center then asks the job to confirm, in
        // storage, that it holds nothing there: the write meets the version that activation never read, fails, and the
        // activation goes. Without that fence the reservation is released under a job that storage holds Scheduled there.
        await Eventually.TrueAsync(
            async () => await Grains.GetGrain<IJobGrain>(job.JobId).GetAsync() is { State: JobState.Scheduled or JobState.Running, Placement.DataCenterId: var at } && at == spec.Id,
            "the job reads the placement storage holds",
            TimeSpan.FromSeconds(60),
            async () => $"reservations={(await Snapshot(spec.Id)).Reservations}");
        Assert.Equal(1, (await Snapshot(spec.Id)).Reservations);

        await Grid.CancelJobAsync(job.JobId, "test");
        await Eventually.TrueAsync(async () => (await Snapshot(spec.Id)).Reservations == 0, "the cancelled job's capacity is back");
    }

    private Orleans.Storage.IGrainStorage Storage => fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(GridStorage.Name);

    private async Task<DataCenterSnapshot> Snapshot(string id) => (await Grains.GetGrain<IDataCenterGrain>(id).GetSnapshotAsync())!;
}
