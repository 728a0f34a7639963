using System.Diagnostics.Metrics;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Grains.Tests;

/// <summary>The storage errors the alert ComputeGridStorageErrors reads, from a real failed grain write on the test cluster.</summary>
[Collection(GridCollection.Name)]
public sealed class StorageErrorMetricTests(GridClusterFixture fixture)
{
    [Fact]
    public async Task A_failed_grain_state_write_counts_in_the_silos_storage_errors()
    {
        var factories = fixture.Cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<IMeterFactory>()).ToList();
        var before = factories.Sum(f => OpsTelemetryTests.StorageErrors(f, "write"));
        var tenant = $"se-{Guid.NewGuid():n}"[..20];
        var grain = fixture.Cluster.Client.GetGrain<ITenantGrain>(tenant);
        await grain.UpdateAsync(new JobSummary($"{tenant}.job-1", tenant, JobState.Pending, "yangtze", null, DateTimeOffset.UnixEpoch, 0, 1), []);

        fixture.Faults.FailNextWrites(grain.GetGrainId(), 1);
        await Assert.ThrowsAnyAsync<Exception>(() => grain.UpdateAsync(new JobSummary($"{tenant}.job-2", tenant, JobState.Pending, "yangtze", null, DateTimeOffset.UnixEpoch, 0, 1), []));

        await Eventually.TrueAsync(() => Task.FromResult(factories.Sum(f => OpsTelemetryTests.StorageErrors(f, "write")) > before), "the failed write is counted");
    }
}
