using ComputeGrid.Contracts.Ops;
using ComputeGrid.Domain.Targets;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Gateway.JobArrays;
using ComputeGrid.Gateway.Jobs;
using ComputeGrid.Gateway.Loans;
using ComputeGrid.Gateway.Pool;

namespace ComputeGrid.Gateway.Ops;

/// <summary>The federation at one moment, as the operators' page at <c>/ops</c> draws it.</summary>
/// <param name="At">When the gateway read it (UTC, ISO 8601).</param>
/// <param name="Totals">The national pool's totals.</param>
/// <param name="Hubs">Every hub with its use, queue, loans and readings against the national targets.</param>
/// <param name="Arrows">Capacity lent now, one arrow per pair of hubs: from the borrower (where the work comes from) to the lender (where it runs).</param>
/// <param name="OpenLoans">Accepted loans not yet ended, newest first; at most 50.</param>
/// <param name="EastToWest">Work of eastern (demand-side) hubs running in western (resource-side) hubs.</param>
/// <param name="Targets">The national targets the hubs are read against.</param>
/// <param name="LoansTruncated">True when the loan book held more loans than the feed reads (5,000); loan figures then cover the newest 5,000.</param>
/// <param name="Trends">The last hour, one point per minute: throughput, queues, the west's share and the carbon intensity of the work placed.</param>
/// <param name="Arrays">The job arrays accepted most recently (at most 20), newest first, with their progress.</param>
public sealed record FederationView(
    DateTimeOffset At,
    FederationTotalsView Totals,
    IReadOnlyList<HubOpsView> Hubs,
    IReadOnlyList<LoanArrowView> Arrows,
    IReadOnlyList<LoanSummaryView> OpenLoans,
    EastToWestView EastToWest,
    NationalTargetsView Targets,
    bool LoansTruncated,
    TrendsView? Trends = null,
    IReadOnlyList<JobArrayView>? Arrays = null);

/// <summary>The operators' trends over the last window (an hour by default).</summary>
/// <param name="IntervalSeconds">Seconds per point (60 by default).</param>
/// <param name="Points">The points, oldest first; an interval no silo reported has no point.</param>
public sealed record TrendsView(double IntervalSeconds, IReadOnlyList<TrendPointView> Points)
{
    internal static TrendsView Of(OpsTrends t)
    {
        var perMinute = TimeSpan.FromMinutes(1) / t.Interval;
        return new(t.Interval.TotalSeconds, [.. t.Points.Select(p => new TrendPointView(
            p.At,
            p.Submitted * perMinute,
            p.Placed * perMinute,
            p.Readings.QueueLength,
            p.Readings.OldestQueuedAgeSeconds,
            p.Readings.WestCoreShare,
            p.Readings.CarbonKgPerKwh))]);
    }
}

/// <summary>One point of the trends.</summary>
/// <param name="At">The start of its interval (UTC, ISO 8601).</param>
/// <param name="SubmittedPerMinute">Jobs submitted in the interval, per minute.</param>
/// <param name="PlacedPerMinute">Jobs placed for the first time in the interval, per minute.</param>
/// <param name="QueueLength">Jobs waiting in each hub's queue, by hub id.</param>
/// <param name="OldestQueuedAgeSeconds">Seconds the longest-waiting job of each hub's queue had waited, by hub id (0 when empty).</param>
/// <param name="WestCoreShare">Share of the CPU cores in use that were in western hubs, 0..1; null when none was in use.</param>
/// <param name="CarbonKgPerKwh">Carbon intensity of the work placed: kgCO2 per kWh of IT energy where it ran, weighted by its cores; null when none ran.</param>
public sealed record TrendPointView(
    DateTimeOffset At,
    double SubmittedPerMinute,
    double PlacedPerMinute,
    IReadOnlyDictionary<string, int> QueueLength,
    IReadOnlyDictionary<string, double> OldestQueuedAgeSeconds,
    double? WestCoreShare,
    double? CarbonKgPerKwh);

/// <summary>The national pool's totals.</summary>
/// <param name="Hubs">Hub nodes.</param>
/// <param name="DataCenters">Data centers.</param>
/// <param name="Capacity">Total capacity.</param>
/// <param name="Used">Capacity reserved by jobs and held for loans.</param>
/// <param name="Utilisation">Dominant-resource share of <paramref name="Used"/> in <paramref name="Capacity"/>, 0..1.</param>
/// <param name="Queued">Jobs waiting in every hub's queue.</param>
/// <param name="JobsFinished">Jobs that finished in any data center.</param>
/// <param name="Executed">Energy (kWh), carbon (kgCO2) and cost (CNY) of all finished work.</param>
/// <param name="OpenLoans">Accepted loans not yet ended.</param>
/// <param name="SavedByBorrowing">What work run on loans saved against running in its own hub (kWh, kgCO2, CNY; negative when it cost more).</param>
public sealed record FederationTotalsView(
    int Hubs,
    int DataCenters,
    CapacityView Capacity,
    CapacityView Used,
    double Utilisation,
    int Queued,
    long JobsFinished,
    FootprintView Executed,
    int OpenLoans,
    FootprintView SavedByBorrowing);

/// <summary>One hub's value against one national target.</summary>
/// <param name="Value">The hub's value: a PUE (facility energy / IT energy), or a share 0..1.</param>
/// <param name="Target">The target: the highest PUE allowed, or the lowest share.</param>
/// <param name="Meets">True when the value is within the target.</param>
/// <param name="Basis">FinishedWork (weighted by the kWh of finished work), Capacity (no work finished yet: weighted by CPU capacity), ReservedNow or NoDataCenters.</param>
public sealed record TargetReadingView(double Value, double Target, bool Meets, ReadingBasis Basis)
{
    internal static TargetReadingView Of(TargetReading r) => new(r.Value, r.Target, r.Meets, r.Basis);
}

/// <summary>A hub's readings against the national targets.</summary>
/// <param name="Pue">PUE against the zone's target (1.25 east, 1.2 west); lower is better.</param>
/// <param name="Utilisation">Dominant-resource utilisation against the 65% rack-utilisation target.</param>
/// <param name="GreenShare">Share of energy from the data centers' own green supply against the 80% target.</param>
public sealed record HubTargetsView(TargetReadingView Pue, TargetReadingView Utilisation, TargetReadingView GreenShare)
{
    internal static HubTargetsView Of(HubAssessment a) => new(TargetReadingView.Of(a.Pue), TargetReadingView.Of(a.Utilisation), TargetReadingView.Of(a.GreenShare));
}

/// <summary>One hub on the operators' page.</summary>
/// <param name="Id">Its id, for example yangtze.</param>
/// <param name="Name">English name.</param>
/// <param name="NameZh">Chinese name.</param>
/// <param name="Zone">East (demand side) or West (resource side).</param>
/// <param name="Location">Where it is drawn: the point latency is measured from.</param>
/// <param name="DataCenters">Its data centers.</param>
/// <param name="QueueLength">Jobs waiting in its queue.</param>
/// <param name="Capacity">Total capacity of its data centers.</param>
/// <param name="Used">Capacity reserved there by jobs and held for loans.</param>
/// <param name="Executed">Energy (kWh), carbon (kgCO2) and cost (CNY) of the work that finished there.</param>
/// <param name="JobsFinished">Jobs that finished there.</param>
/// <param name="BorrowedJobs">Other hubs' jobs running in its data centers on loans now.</param>
/// <param name="LentNow">Capacity it lends in open loans now.</param>
/// <param name="BorrowedNow">Capacity it borrows in open loans now.</param>
/// <param name="BalanceCny">Loan charges earned minus paid, CNY.</param>
/// <param name="Targets">Its readings against the national targets.</param>
public sealed record HubOpsView(
    string Id,
    string Name,
    string NameZh,
    Zone Zone,
    LocationView Location,
    int DataCenters,
    int QueueLength,
    CapacityView Capacity,
    CapacityView Used,
    FootprintView Executed,
    long JobsFinished,
    int BorrowedJobs,
    CapacityView LentNow,
    CapacityView BorrowedNow,
    double BalanceCny,
    HubTargetsView Targets);

/// <summary>Capacity one hub borrows from another now, over all their accepted loans not yet ended.</summary>
/// <param name="Borrower">The borrowing hub, where the work comes from.</param>
/// <param name="Lender">The lending hub, where the work runs.</param>
/// <param name="Loans">How many loans.</param>
/// <param name="Amount">Their capacity together.</param>
/// <param name="EastToWest">True when an eastern hub borrows from a western one.</param>
/// <param name="Usage">What those loans settled so far together: jobs, core-hours, GPU-hours, energy, carbon, charge.</param>
public sealed record LoanArrowView(string Borrower, string Lender, int Loans, CapacityView Amount, bool EastToWest, LoanUsageView? Usage = null);

/// <summary>"East Data, West Computing" in numbers: work of eastern hubs run in western hubs on loans.</summary>
/// <param name="BorrowedNow">Capacity eastern hubs borrow from western hubs in open loans now.</param>
/// <param name="OpenLoans">Those loans.</param>
/// <param name="BorrowedJobsInWest">Other hubs' jobs running in western data centers on loans now (the pool counts these per data center, not per origin).</param>
/// <param name="JobsFinished">Jobs of eastern hubs that finished in the west on loans (settled usage, every loan state).</param>
/// <param name="CoreHours">CPU core-hours they used.</param>
/// <param name="GpuHours">GPU-hours they used.</param>
/// <param name="Footprint">Their energy (kWh), carbon (kgCO2) and energy cost (CNY) in the west.</param>
/// <param name="Saved">What running them in the west saved against their home hubs (negative when it cost more).</param>
public sealed record EastToWestView(
    CapacityView BorrowedNow,
    int OpenLoans,
    int BorrowedJobsInWest,
    long JobsFinished,
    double CoreHours,
    double GpuHours,
    FootprintView Footprint,
    FootprintView Saved);

/// <summary>The national plans' targets for hub data centers.</summary>
/// <param name="PueEast">Highest PUE in an east (demand-side) hub: 1.25.</param>
/// <param name="PueWest">Highest PUE in a west (resource-side) hub: 1.2.</param>
/// <param name="MinUtilisation">Lowest rack utilisation, 0..1: 0.65.</param>
/// <param name="MinGreenShare">Lowest green-power share, 0..1: 0.8.</param>
public sealed record NationalTargetsView(double PueEast, double PueWest, double MinUtilisation, double MinGreenShare)
{
    internal static NationalTargetsView Of(NationalTargets t) => new(t.PueEast, t.PueWest, t.MinUtilisation, t.MinGreenShare);
}
