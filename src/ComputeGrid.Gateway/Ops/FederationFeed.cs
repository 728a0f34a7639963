using ComputeGrid.Client;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Targets;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Gateway.JobArrays;
using ComputeGrid.Gateway.Jobs;
using ComputeGrid.Gateway.Loans;
using ComputeGrid.Gateway.Pool;

namespace ComputeGrid.Gateway.Ops;

/// <summary>Reads the pool, the loan book and the hubs' balances through the SDK and composes the operators' federation view.</summary>
internal static class FederationFeed
{
    /// <summary>Loans read per page of the loan book.</summary>
    internal const int LoanPageSize = 500;

    /// <summary>Pages read at most, so one request stays bounded however long the book grows (5,000 loans).</summary>
    internal const int MaxLoanPages = 10;

    /// <summary>Open loans listed in the view at most.</summary>
    internal const int MaxOpenLoansListed = 50;

    public static async Task<FederationView> ReadAsync(IComputeGridClient grid, TimeProvider time, NationalTargets targets, CancellationToken cancellationToken)
    {
        var poolRead = grid.GetPoolAsync(cancellationToken);
        var balancesRead = grid.GetHubBalancesAsync(cancellationToken);
        var loansRead = ReadLoansAsync(grid, cancellationToken);
        var trendsRead = grid.Admin.GetTrendsAsync(cancellationToken);
        await Task.WhenAll(poolRead, balancesRead, loansRead, trendsRead);
        var (loans, truncated) = await loansRead;
        var trends = await trendsRead;
        var arrays = await Task.WhenAll(trends.RecentArrayIds.Select(id => ReadArrayAsync(grid, id, cancellationToken)));
        return Compose(await poolRead, await balancesRead, loans, truncated, time.GetUtcNow(), targets) with
        {
            Trends = TrendsView.Of(trends),
            Arrays = [.. arrays.OfType<JobArraySnapshot>().Select(JobArrayView.Of)],
        };
    }

    private static async Task<JobArraySnapshot?> ReadArrayAsync(IComputeGridClient grid, string arrayId, CancellationToken cancellationToken)
    {
        try
        {
            return await grid.GetArrayAsync(arrayId, cancellationToken);
        }
        catch (ComputeGridNotFoundException)
        {
            // Refused arrays are forgotten; the list shows those that exist.
            return null;
        }
    }

    /// <summary>The view of one reading; pure, so the arithmetic is tested without a cluster.</summary>
    public static FederationView Compose(
        PoolSnapshot pool,
        IReadOnlyList<HubBalance> balances,
        IReadOnlyList<LoanSummary> loans,
        bool loansTruncated,
        DateTimeOffset at,
        NationalTargets targets)
    {
        var zones = pool.Hubs.ToDictionary(h => h.Hub.Id, h => h.Hub.Zone, StringComparer.Ordinal);
        bool IsEastToWest(LoanSummary l) =>
            zones.TryGetValue(l.Borrower, out var from) && from == Zone.East && zones.TryGetValue(l.Lender, out var to) && to == Zone.West;

        // Accepted and not ended: the capacity is lent now. An offer not yet accepted lends nothing yet.
        var open = loans.Where(l => l.AcceptedAt is not null && l.State.IsOpen()).ToList();
        var arrows = open
            .GroupBy(l => (l.Borrower, l.Lender))
            .Select(g => new LoanArrowView(
                g.Key.Borrower,
                g.Key.Lender,
                g.Count(),
                CapacityView.Of(g.Aggregate(ResourceVector.Zero, (sum, l) => sum.Plus(l.Amount))),
                IsEastToWest(g.First()),
                LoanUsageView.Of(g.Aggregate(default(LoanUsage), (sum, l) => sum + l.Usage))))
            .OrderBy(a => a.Borrower, StringComparer.Ordinal)
            .ThenBy(a => a.Lender, StringComparer.Ordinal)
            .ToList();

        var eastWestOpen = open.Where(IsEastToWest).ToList();
        var eastWestUsage = loans.Where(IsEastToWest).Aggregate(default(LoanUsage), (sum, l) => sum + l.Usage);
        var eastToWest = new EastToWestView(
            CapacityView.Of(eastWestOpen.Aggregate(ResourceVector.Zero, (sum, l) => sum.Plus(l.Amount))),
            eastWestOpen.Count,
            pool.Hubs.Where(h => h.Hub.Zone == Zone.West).SelectMany(h => h.DataCenters).Sum(d => d.BorrowedJobs),
            eastWestUsage.Jobs,
            eastWestUsage.CoreHours,
            eastWestUsage.GpuHours,
            FootprintView.Of(eastWestUsage.Footprint),
            FootprintView.Of(eastWestUsage.Saved));

        var byHub = balances.ToDictionary(b => b.HubId, StringComparer.Ordinal);
        var hubs = pool.Hubs.Select(h => HubOf(h, byHub.GetValueOrDefault(h.Hub.Id), targets)).ToList();
        var saved = balances.Aggregate(Footprint.Zero, (sum, b) => sum + b.BorrowedUsage.Saved);
        var totals = new FederationTotalsView(
            pool.Hubs.Count,
            pool.Hubs.Sum(h => h.DataCenters.Count),
            CapacityView.Of(pool.Capacity),
            CapacityView.Of(pool.Used),
            pool.Used.DominantShareOf(pool.Capacity),
            pool.Queued,
            pool.Hubs.SelectMany(h => h.DataCenters).Sum(d => d.JobsFinished),
            FootprintView.Of(pool.Executed),
            open.Count,
            FootprintView.Of(saved));

        var running = RunningLoanJobs.Of(pool);
        var listed = open
            .OrderByDescending(l => l.AcceptedAt)
            .ThenBy(l => l.LoanId, StringComparer.Ordinal)
            .Take(MaxOpenLoansListed)
            .Select(l => LoanSummaryView.Of(l, running))
            .ToList();
        return new FederationView(at, totals, hubs, arrows, listed, eastToWest, NationalTargetsView.Of(targets), loansTruncated);
    }

    private static HubOpsView HubOf(HubSnapshot h, HubBalance? balance, NationalTargets targets)
    {
        var assessment = HubTargets.Assess(h.Hub.Zone, [.. h.DataCenters.Select(d => new DataCenterUse(d.Spec, d.Used, d.Executed))], targets);
        return new HubOpsView(
            h.Hub.Id,
            h.Hub.Name,
            h.Hub.NameZh,
            h.Hub.Zone,
            new LocationView(h.Hub.Location.Lat, h.Hub.Location.Lon),
            h.DataCenters.Count,
            h.QueueLength,
            CapacityView.Of(h.Capacity),
            CapacityView.Of(h.Used),
            FootprintView.Of(h.Executed),
            h.DataCenters.Sum(d => d.JobsFinished),
            h.DataCenters.Sum(d => d.BorrowedJobs),
            CapacityView.Of(balance?.LentNow ?? ResourceVector.Zero),
            CapacityView.Of(balance?.BorrowedNow ?? ResourceVector.Zero),
            balance?.BalanceCny ?? 0,
            HubTargetsView.Of(assessment));
    }

    private static async Task<(IReadOnlyList<LoanSummary> Loans, bool Truncated)> ReadLoansAsync(IComputeGridClient grid, CancellationToken cancellationToken)
    {
        var loans = new List<LoanSummary>();
        string? cursor = null;
        for (var page = 0; page < MaxLoanPages; page++)
        {
            var read = await grid.ListLoansAsync(hubId: null, state: null, limit: LoanPageSize, cursor: cursor, cancellationToken: cancellationToken);
            loans.AddRange(read.Loans);
            cursor = read.NextCursor;
            if (cursor is null)
            {
                return (loans, false);
            }
        }

        return (loans, true);
    }
}
