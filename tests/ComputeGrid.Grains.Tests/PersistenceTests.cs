using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Grains.Tests;

/// <summary>Acknowledged changes survive the grain's deactivation: what a new activation reads is what was persisted.</summary>
[Collection(GridCollection.Name)]
public sealed class PersistenceTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    private IGrainFactory Grains => fixture.Cluster.Client;

    [Fact]
    public async Task A_drained_data_center_is_still_draining_after_the_pool_and_the_data_center_reactivate()
    {
        await fixture.RegisterPrivateDataCenterAsync("persist-dc", "gansu", "PST", gpus: 2);
        await Grid.Admin.DrainDataCenterAsync("persist-dc");

        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IPoolGrain>(PoolGrainKey.National));
        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IDataCenterGrain>("persist-dc"));

        var directory = await Grid.Admin.GetDirectoryAsync();
        Assert.Contains(directory.DataCenters, d => d.Spec.Id == "persist-dc" && d.Status == DataCenterStatus.Draining);
        var snapshot = await Grains.GetGrain<IDataCenterGrain>("persist-dc").GetSnapshotAsync();
        Assert.Equal(DataCenterStatus.Draining, snapshot!.Status);
    }

    [Fact]
    public async Task A_job_and_its_reservation_are_unchanged_after_both_grains_reactivate()
    {
        await fixture.RegisterPrivateDataCenterAsync("persist-job-dc", "ningxia", "PJ", gpus: 1);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("persist", "PJ", "ningxia", TimeSpan.FromHours(100)));
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Running, "the job runs");
        var before = await Grid.GetJobAsync(job.JobId);

        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IJobGrain>(job.JobId));
        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IDataCenterGrain>("persist-job-dc"));

        var after = await Grid.GetJobAsync(job.JobId);
        Assert.Equal(before.State, after.State);
        Assert.Equal(before.History, after.History);
        Assert.Equal(before.Placement, after.Placement);
        var snapshot = await Grains.GetGrain<IDataCenterGrain>("persist-job-dc").GetSnapshotAsync();
        Assert.Equal(1, snapshot!.Reservations);
        await Grid.CancelJobAsync(job.JobId);
    }

    [Fact]
    public async Task A_queued_job_is_still_queued_after_its_region_reactivates_and_is_placed_when_capacity_frees()
    {
        await fixture.RegisterPrivateDataCenterAsync("persist-q-dc", "inner-mongolia", "PQ", gpus: 1);
        var running = await Grid.SubmitAsync(Jobs.OnGpu("persist-q", "PQ", "inner-mongolia", TimeSpan.FromHours(100)));
        var queued = await Grid.SubmitAsync(Jobs.OnGpu("persist-q", "PQ", "inner-mongolia", TimeSpan.FromHours(100)));
        Assert.Equal(JobState.Queued, queued.State);

        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IRegionGrain>("inner-mongolia"));

        var queue = await Grains.GetGrain<IRegionGrain>("inner-mongolia").GetQueueAsync();
        Assert.Contains(queue, q => q.JobId == queued.JobId);
        await Grid.CancelJobAsync(running.JobId);
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(queued.JobId)).State is JobState.Scheduled or JobState.Running, "the queued job is placed");
        await Grid.CancelJobAsync(queued.JobId);
    }

    [Fact]
    public async Task A_loan_its_slice_and_both_hubs_ledgers_are_unchanged_after_every_grain_involved_reactivates()
    {
        await fixture.RegisterPrivateDataCenterAsync("persist-loan-dc", "guizhou", "PL", gpus: 2);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("persist-loan", "PL", "gba", TimeSpan.FromHours(100), id: Jobs.NewId("hold")));
        var loanId = (await fixture.PlacedAsync(job.JobId)).Placement!.LoanId!;
        var loan = await Grid.GetLoanAsync(loanId);
        var lender = await Grains.GetGrain<IRegionGrain>("guizhou").GetLoansAsync();
        var borrower = await Grains.GetGrain<IRegionGrain>("gba").GetLoansAsync();
        var slices = await Grains.GetGrain<IDataCenterGrain>("persist-loan-dc").GetLoanSlicesAsync();

        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<ILoanGrain>(loanId));
        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IRegionGrain>("guizhou"));
        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IRegionGrain>("gba"));
        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IDataCenterGrain>("persist-loan-dc"));

        var after = await Grid.GetLoanAsync(loanId);
        Assert.Equal(loan.State, after.State);
        Assert.Equal(loan.History, after.History);
        Assert.Equal(loan.Terms.Amount, after.Terms.Amount);
        Assert.Equal(lender.Lent[loanId], (await Grains.GetGrain<IRegionGrain>("guizhou").GetLoansAsync()).Lent[loanId]);
        Assert.Equal(borrower.Borrowed[loanId], (await Grains.GetGrain<IRegionGrain>("gba").GetLoansAsync()).Borrowed[loanId]);
        Assert.Equal(slices, await Grains.GetGrain<IDataCenterGrain>("persist-loan-dc").GetLoanSlicesAsync());

        await Grid.CancelJobAsync(job.JobId);
        await Eventually.TrueAsync(async () => (await Grid.GetLoanAsync(loanId)).State == Domain.Loans.LoanState.Returned, "the reactivated loan is returned and settles");
    }

    [Fact]
    public async Task A_tenants_listing_order_and_next_sequence_survive_its_reactivation()
    {
        var first = await Grid.SubmitAsync(Jobs.Batch("persist-tenant"));
        var second = await Grid.SubmitAsync(Jobs.Batch("persist-tenant"));

        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<ITenantGrain>("persist-tenant"));
        var third = await Grid.SubmitAsync(Jobs.Batch("persist-tenant"));

        var listed = await Grid.ListJobsAsync("persist-tenant", limit: 500);
        Assert.Equal([third.JobId, second.JobId, first.JobId], listed.Jobs.Select(j => j.JobId));
        Assert.Equal(listed.Jobs.Select(j => j.Sequence).Order().Distinct().Count(), listed.Jobs.Count);
        foreach (var job in new[] { first, second, third })
        {
            await Grid.CancelJobAsync(job.JobId);
        }
    }

    [Fact]
    public async Task A_tenant_stored_as_one_record_by_an_earlier_version_keeps_its_rows_order_and_bookings()
    {
        const string tenant = "legacy-tenant";
        var at = fixture.Time.GetUtcNow();
        var legacy = new Tenants.TenantRecord
        {
            NextSequence = 3,
            Executed = new Domain.Accounting.Footprint(1, 2, 3),
            Jobs =
            {
                ["legacy-1"] = new Contracts.Jobs.JobSummary("legacy-1", tenant, JobState.Succeeded, "yangtze", "yangtze-1", at, 1, 4),
                ["legacy-2"] = new Contracts.Jobs.JobSummary("legacy-2", tenant, JobState.Failed, "yangtze", "yangtze-1", at, 2, 4),
            },
            Booked = { "legacy-1" },
        };
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(GridStorage.Name);
        await storage.WriteStateAsync("tenant", GrainId.Create("tenant", tenant), new GrainState<Tenants.TenantRecord>(legacy));

        var submitted = await Grid.SubmitAsync(Jobs.Batch(tenant));
        var listed = await Grid.ListJobsAsync(tenant, limit: 500);
        Assert.Equal([submitted.JobId, "legacy-2", "legacy-1"], listed.Jobs.Select(j => j.JobId));
        Assert.Equal(3, listed.Jobs[0].Sequence);

        // Booking legacy-1 again changes nothing; a new booking adds to the old total.
        var tenantGrain = Grains.GetGrain<ITenantGrain>(tenant);
        var legacyRow = listed.Jobs.Single(j => j.JobId == "legacy-1");
        await tenantGrain.UpdateAsync(legacyRow, [new Contracts.Tenants.TenantBooking("legacy-1", new Domain.Accounting.Footprint(100, 100, 100))]);
        await tenantGrain.UpdateAsync(legacyRow, [new Contracts.Tenants.TenantBooking("legacy-3", new Domain.Accounting.Footprint(10, 10, 10))]);
        Assert.Equal(new Domain.Accounting.Footprint(11, 12, 13), (await Grid.GetTenantSummaryAsync(tenant)).Executed);
        await Grid.CancelJobAsync(submitted.JobId);
    }
    [Theory]
    [InlineData("")]
    [InlineData("-5")]
    public async Task A_job_activation_holding_no_record_confirms_with_storage_before_it_answers_that_the_job_does_not_exist(string suffix)
    {
        // A second activation of a job, activated before the first one's acceptance was written (as during a silo's
        // drain): its memory holds no record, storage holds the accepted job. With "-5" the id is shaped like an array's
        // element, which no array holds: the rolling-upgrade test's ids are, and that path answered "no job" unconfirmed.
        var accepted = await Grid.SubmitAsync(Jobs.Batch("stale-read", id: Jobs.NewId("stale-source")));
        var id = Jobs.NewId("stale") + suffix;
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.GetJobAsync(id));
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(GridStorage.Name);
        var source = new GrainState<ComputeGrid.Grains.Jobs.JobRecord>(new ComputeGrid.Grains.Jobs.JobRecord());
        await storage.ReadStateAsync(ComputeGrid.Grains.Jobs.JobRecord.StateName, GrainId.Create("job", accepted.JobId), source);
        await storage.WriteStateAsync(ComputeGrid.Grains.Jobs.JobRecord.StateName, GrainId.Create("job", id), new GrainState<ComputeGrid.Grains.Jobs.JobRecord>(source.State));

        var read = await Grid.GetJobAsync(id);

        Assert.Equal(id, read.JobId);
        Assert.Equal(source.State!.State, read.State);
        await Grid.CancelJobAsync(accepted.JobId);
    }

    [Fact]
    public async Task A_loan_slice_the_record_lists_is_held_again_after_a_crash_between_the_record_and_reservation_writes()
    {
        await fixture.RegisterPrivateDataCenterAsync("torn-loan-dc", "guizhou", "TL", gpus: 2);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("torn-loan", "TL", "gba", TimeSpan.FromHours(100), id: Jobs.NewId("torn")));
        var slice = $"loan:{(await fixture.PlacedAsync(job.JobId)).Placement!.LoanId!}";
        var dataCenter = Grains.GetGrain<IDataCenterGrain>("torn-loan-dc");
        var before = await dataCenter.GetSnapshotAsync();

        // The record (with the loan) was written, the shard with the slice's reservation was not.
        await fixture.Cluster.DeactivateAsync(dataCenter);
        await EditStoredReservationAsync("torn-loan-dc", slice, null);
        Assert.DoesNotContain(slice, (await StoredReservationsAsync("torn-loan-dc")).Keys);

        var after = await dataCenter.GetSnapshotAsync();
        Assert.Equal(before!.Free, after!.Free);
        Assert.Equal(before.Used, after.Used);
        Assert.Equal(before.Reservations, after.Reservations);
        Assert.Contains(slice, (await StoredReservationsAsync("torn-loan-dc")).Keys);
        await Grid.CancelJobAsync(job.JobId);
    }

    [Fact]
    public async Task A_loan_slice_held_for_a_loan_the_record_no_longer_lists_is_released_on_activation()
    {
        await fixture.RegisterPrivateDataCenterAsync("stray-slice-dc", "gansu", "SS", gpus: 2);
        var dataCenter = Grains.GetGrain<IDataCenterGrain>("stray-slice-dc");
        var before = await dataCenter.GetSnapshotAsync();

        // The record dropped the loan, the shard still held its slice.
        await fixture.Cluster.DeactivateAsync(dataCenter);
        await EditStoredReservationAsync("stray-slice-dc", "loan:gone", new Domain.Resources.ResourceRequest(8000, 16384, 1, "SS"));
        Assert.Contains("loan:gone", (await StoredReservationsAsync("stray-slice-dc")).Keys);

        var after = await dataCenter.GetSnapshotAsync();
        Assert.Equal(before!.Free, after!.Free);
        Assert.Equal(0, after.Reservations);
        Assert.DoesNotContain("loan:gone", (await StoredReservationsAsync("stray-slice-dc")).Keys);
    }

    private Orleans.Storage.IGrainStorage Storage => fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(GridStorage.Name);

    private static GrainId DataCenterGrainId(string dataCenterId) => GrainId.Create("datacenter", dataCenterId);

    /// <summary>Every reservation a data center's shards hold in grain storage (as a new activation would read them).</summary>
    private async Task<Dictionary<string, Domain.Resources.ResourceRequest>> StoredReservationsAsync(string dataCenterId)
    {
        var all = new Dictionary<string, Domain.Resources.ResourceRequest>(StringComparer.Ordinal);
        for (var i = 0; i < DataCenters.DataCenterGrain.ReservationShards; i++)
        {
            var shard = new GrainState<Persistence.MapShard<Domain.Resources.ResourceRequest>>(new());
            await Storage.ReadStateAsync($"datacenter-reservations-{i}", DataCenterGrainId(dataCenterId), shard);
            shard.State ??= new(); // never written
            foreach (var (key, value) in shard.State.Items)
            {
                all[key] = value;
            }
        }

        return all;
    }

    /// <summary>
    /// Sets (<paramref name="value"/>) or removes (null) one reservation of a (deactivated) data center straight in grain
    /// storage, in the shard its key belongs to: one shard write, as a crashed grain would have left it.
    /// </summary>
    private async Task EditStoredReservationAsync(string dataCenterId, string key, Domain.Resources.ResourceRequest? value)
    {
        var name = $"datacenter-reservations-{Persistence.ShardedMap<Domain.Resources.ResourceRequest>.ShardOf(key, DataCenters.DataCenterGrain.ReservationShards)}";
        var shard = new GrainState<Persistence.MapShard<Domain.Resources.ResourceRequest>>(new());
        await Storage.ReadStateAsync(name, DataCenterGrainId(dataCenterId), shard);
        shard.State ??= new(); // never written
        if (value is null)
        {
            shard.State.Items.Remove(key);
        }
        else
        {
            shard.State.Items[key] = value;
        }

        await Storage.WriteStateAsync(name, DataCenterGrainId(dataCenterId), shard);
    }
}
