using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Market;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Market;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;

namespace ComputeGrid.Grains.Market;

/// <summary>
/// Puts a booked run on its statements: the tenant's and the data center's, per day and per month. Called by the job
/// right after it books the run with its tenant, with the same footprint and the same booking id, so statements and the
/// per-job accounting hold the same runs; every step is idempotent, so a repeated exit (reconciliation) adds nothing.
/// </summary>
internal static class RunMeter
{
    /// <summary>Charges the run <paramref name="runKey"/> of <paramref name="jobId"/> from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public static async Task RecordAsync(
        IGrainFactory grains,
        TopologyCatalog catalog,
        GridClock clock,
        string jobId,
        string runKey,
        JobSpec spec,
        JobPlacement placement,
        IReadOnlyList<JobEvent> history,
        DateTimeOffset? start,
        DateTimeOffset end,
        Footprint footprint)
    {
        if (start is not { } from || end <= from)
        {
            return;
        }

        // Billed at the prices in force when the job was placed there, whatever the owner set since.
        var placedAt = history.LastOrDefault(e => e.State == JobState.Scheduled && e.DataCenterId == placement.DataCenterId)?.At ?? from;
        var set = await grains.GetGrain<IPriceBookGrain>(placement.DataCenterId).PricesAtAsync(placedAt);
        var gpus = spec.Resources.EffectiveGpuModel is { } model ? [KeyValuePair.Create(model, 1)] : Array.Empty<KeyValuePair<string, int>>();
        var site = new DataCenterSpec(placement.DataCenterId, placement.DataCenterId, placement.HubId, new GeoPoint(0, 0), ResourceVector.Of(0, 0, gpus), placement.Energy);
        var prices = ListPrices.Effective(set, site, catalog.Seed.Power);
        LoanRate? loan = null;
        if (placement.LoanId is { } loanId && await grains.GetGrain<ILoanGrain>(loanId).GetAsync() is { } snapshot)
        {
            loan = new LoanRate(loanId, snapshot.Terms.Lender, snapshot.Terms.Borrower, (decimal)snapshot.Terms.Price.CnyPerCoreHour, (decimal)snapshot.Terms.Price.CnyPerGpuHour);
        }

        var usage = new RunUsage(
            runKey, jobId, spec.Tenant, spec.OriginHub, placement.DataCenterId, placement.HubId, spec.Resources, from, end, footprint, prices,
            placement.HubId == spec.OriginHub ? 0 : spec.InputDataGiB, (decimal)catalog.Seed.TransferCnyPerGiB, loan);
        var work = new List<Task>();
        foreach (var kind in (PeriodKind[])[PeriodKind.Day, PeriodKind.Month])
        {
            foreach (var (period, charge) in Metering.Charge(usage, catalog.Seed.Power, kind))
            {
                work.Add(RecordAsync(grains, clock, StatementOwner.Tenant, spec.Tenant, period, charge));
                work.Add(RecordAsync(grains, clock, StatementOwner.DataCenter, placement.DataCenterId, period, charge));
            }
        }

        await Task.WhenAll(work);
    }

    /// <summary>Adds the charge to its period's statement, or, when that has closed, to the period open now.</summary>
    private static async Task RecordAsync(IGrainFactory grains, GridClock clock, StatementOwner owner, string id, BillingPeriod period, RunCharge charge)
    {
        var outcome = await grains.GetGrain<IStatementGrain>(StatementRules.KeyOf(owner, id, period)).RecordAsync(charge);
        if (outcome == StatementOutcome.Closed)
        {
            var open = BillingPeriod.Containing(clock.Now, period.Kind);
            await grains.GetGrain<IStatementGrain>(StatementRules.KeyOf(owner, id, open)).RecordAsync(charge);
        }
    }
}
