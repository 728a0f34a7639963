using ComputeGrid.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ComputeGrid.Silo;

/// <summary>Healthy when the pool answers within two seconds and has data centers.</summary>
internal sealed class PoolHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var directory = await grains.GetGrain<IPoolGrain>(PoolGrainKey.National).GetDirectoryAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return directory.DataCenters.Count > 0
                ? HealthCheckResult.Healthy($"{directory.DataCenters.Count} data centers")
                : HealthCheckResult.Degraded("the pool has no data centers yet");
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            return HealthCheckResult.Unhealthy("the pool does not answer");
        }
    }
}
