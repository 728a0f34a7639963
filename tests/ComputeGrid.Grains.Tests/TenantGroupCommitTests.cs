using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class TenantGroupCommitTests(GridClusterFixture fixture)
{
    private static JobSummary Row(string tenant, int i) =>
        new($"{tenant}.job-{i}", tenant, JobState.Pending, "yangtze", null, DateTimeOffset.UnixEpoch, 0, 1);

    [Fact]
    public async Task Concurrent_registrations_of_one_tenant_are_committed_in_fewer_writes_than_calls_and_all_listed()
    {
        const int calls = 200;
        var tenant = $"gc-{Guid.NewGuid():n}"[..20];
        var grain = fixture.Cluster.Client.GetGrain<ITenantGrain>(tenant);
        await grain.GetSummaryAsync();
        var id = grain.GetGrainId();
        var before = fixture.Faults.WritesOf(id);

        // The first write is held until every call has been decided in memory, so the others arrive while it is in
        // flight whatever the speed of the machine; none is answered before a write holding its row succeeds.
        fixture.Faults.HoldWrites(id);
        var registrations = Enumerable.Range(0, calls).Select(i => grain.UpdateAsync(Row(tenant, i), [])).ToList();
        try
        {
            await Eventually.TrueAsync(
                async () => (await grain.ListJobsAsync(null, 500, null)).Jobs.Count == calls,
                "every registration is decided while the first write is held");
            Assert.All(registrations, r => Assert.False(r.IsCompleted, "a registration was answered before its write"));
        }
        finally
        {
            fixture.Faults.ReleaseWrites(id);
        }

        await Task.WhenAll(registrations);

        var writes = fixture.Faults.WritesOf(id) - before;
        Assert.True(writes < calls, $"{calls} registrations made {writes} writes");
        var page = await grain.ListJobsAsync(null, 500, null);
        Assert.Equal(calls, page.Jobs.Count);
    }

    [Fact]
    public async Task A_failed_tenant_write_fails_its_caller_and_loses_no_acknowledged_row()
    {
        var tenant = $"gf-{Guid.NewGuid():n}"[..20];
        var grain = fixture.Cluster.Client.GetGrain<ITenantGrain>(tenant);
        await grain.UpdateAsync(Row(tenant, 1), []);

        fixture.Faults.FailNextWrites(grain.GetGrainId(), 1);
        await Assert.ThrowsAnyAsync<Exception>(() => grain.UpdateAsync(Row(tenant, 2), []));

        // The failed write let the activation go: the next one reads storage, where the acknowledged row is and the
        // refused one is not, and a retry of the refused call then succeeds.
        await Eventually.TrueAsync(
            async () =>
            {
                try
                {
                    var ids = (await grain.ListJobsAsync(null, 10, null)).Jobs.Select(j => j.JobId).ToList();
                    return ids.SequenceEqual([$"{tenant}.job-1"]);
                }
                catch (InvalidOperationException)
                {
                    return false;
                }
            },
            "the tenant reactivates with only its acknowledged row");
        await grain.UpdateAsync(Row(tenant, 2), []);
        Assert.Equal(2, (await grain.ListJobsAsync(null, 10, null)).Jobs.Count);
    }
}
