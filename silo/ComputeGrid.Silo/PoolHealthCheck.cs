using ComputeGrid.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ComputeGrid.Silo;

/// <summary>
/// Healthy when the pool answers within two seconds and has data centers; Unhealthy from the moment the silo is told to
/// stop, so that load balancers and orchestrators send no new requests to a silo that drains.
/// </summary>
internal sealed class PoolHealthCheck(IGrainFactory grains, IHostApplicationLifetime lifetime) : IHealthCheck
{
    /// <summary>The description of a draining silo's health.</summary>
    public const string Draining = "draining: the silo is stopping";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(Draining);
        }

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
