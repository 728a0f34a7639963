using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Grains.Hosting;

namespace ComputeGrid.Grains.Telemetry;

/// <summary>Reads what the waiting alerts watch: each hub's oldest queued job and the loans it is recalling.</summary>
internal static class HubWaits
{
    /// <summary>Recalling loans read per poll at most (their grains are asked when each recall's notice ends).</summary>
    internal const int MaxRecallsRead = 200;

    public static async Task<IReadOnlyList<HubWaitGauge>> ReadAsync(IGrainFactory grains, TopologyCatalog catalog, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var hubs = catalog.Seed.Hubs.Keys.Order(StringComparer.Ordinal).ToList();
        var oldest = await Task.WhenAll(hubs.Select(hub => grains.GetGrain<IRegionGrain>(hub).GetOldestQueuedAtAsync(cancellationToken)));
        var recalling = await grains.GetGrain<ILoanBookGrain>(PoolGrainKey.National).ListAsync(null, LoanState.Recalling, MaxRecallsRead, null, cancellationToken);
        var loans = await Task.WhenAll(recalling.Loans.Select(l => grains.GetGrain<ILoanGrain>(l.LoanId).GetAsync(cancellationToken)));
        return Gauges(hubs, hubs.Zip(oldest).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal), [.. loans.OfType<LoanSnapshot>()], now);
    }

    /// <summary>
    /// One gauge per hub: the age of its oldest queued job, and of the loans it lends in state Recalling, how many and how
    /// far the most overdue is past the end of its notice (a recall within its notice is not overdue).
    /// </summary>
    internal static List<HubWaitGauge> Gauges(
        IReadOnlyList<string> hubs, IReadOnlyDictionary<string, DateTimeOffset?> oldestQueuedAt, IReadOnlyList<LoanSnapshot> loans, DateTimeOffset now)
    {
        var recalls = loans.Where(l => l.State == LoanState.Recalling).ToLookup(l => l.Terms.Lender, StringComparer.Ordinal);
        return [.. hubs.Select(hub => new HubWaitGauge(
            hub,
            oldestQueuedAt.GetValueOrDefault(hub) is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0,
            recalls[hub].Count(),
            recalls[hub].Select(l => l.RecallEffectiveAt is { } end ? Math.Max(0, (now - end).TotalSeconds) : 0).DefaultIfEmpty(0).Max()))];
    }
}
