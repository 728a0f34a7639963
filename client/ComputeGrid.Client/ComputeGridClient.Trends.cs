using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Ops;

namespace ComputeGrid.Client;

/// <summary>The SDK's read of the operators' trends.</summary>
public sealed partial class ComputeGridClient
{
    /// <inheritdoc />
    public Task<OpsTrends> GetTrendsAsync(CancellationToken cancellationToken = default) =>
        cluster.GetGrain<IOpsTrendsGrain>(PoolGrainKey.National).GetAsync(cancellationToken);
}
