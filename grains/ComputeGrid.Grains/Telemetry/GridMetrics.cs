using System.Diagnostics.Metrics;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Telemetry;

/// <summary>
/// ComputeGrid's instruments on the meter <see cref="MeterName"/>. Grains record job transitions and placement latency
/// as they happen; the pool-wide gauges (queues, use, loans, energy, carbon, cost) read the latest snapshot that
/// <see cref="PoolMetricsPoller"/> observed, so a scrape never calls a grain.
/// </summary>
public sealed class GridMetrics
{
    /// <summary>The meter's name; the host's OpenTelemetry pipeline listens to it.</summary>
    public const string MeterName = "ComputeGrid";

    private readonly UpDownCounter<long> _jobs;
    private readonly Counter<long> _transitions;
    private readonly Histogram<double> _placementLatency;
    private volatile PoolSnapshot? _pool;
    private volatile IReadOnlyList<HubBalance> _balances = [];
    private volatile IReadOnlyList<LoanSummary> _activeLoans = [];

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public GridMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _jobs = meter.CreateUpDownCounter<long>("computegrid.jobs", "{job}", "Jobs in each state by origin hub, as seen by this silo since it started.");
        _transitions = meter.CreateCounter<long>("computegrid.job.transitions", "{transition}", "Job state transitions by state entered and origin hub.");
        _placementLatency = meter.CreateHistogram<double>(
            "computegrid.placement.latency",
            "s",
            "Time from a job's submission to its first Scheduled state, federation clock, seconds.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600] });
        meter.CreateObservableGauge("computegrid.queue.length", () => PerHub(h => h.QueueLength), "{job}", "Jobs waiting in each hub's queue.");
        meter.CreateObservableGauge("computegrid.capacity.cpu", () => PerHub(h => h.Capacity.CpuMillicores), "{millicore}", "Each hub's CPU capacity, millicores.");
        meter.CreateObservableGauge("computegrid.used.cpu", () => PerHub(h => h.Used.CpuMillicores), "{millicore}", "Each hub's CPU in use (reservations and capacity lent), millicores.");
        meter.CreateObservableGauge("computegrid.loans.active", ActiveLoans, "{loan}", "Active loans by lender and borrower hub.");
        meter.CreateObservableGauge("computegrid.loans.lent.cpu", () => Balances(b => b.LentNow.CpuMillicores), "{millicore}", "CPU each hub lends to others now, millicores.");
        meter.CreateObservableGauge("computegrid.loans.borrowed.cpu", () => Balances(b => b.BorrowedNow.CpuMillicores), "{millicore}", "CPU each hub borrows from others now, millicores.");
        meter.CreateObservableCounter("computegrid.energy", () => PerHub(h => h.Executed.EnergyKwh), "kWh", "Facility energy of the work finished in each hub, kWh.");
        meter.CreateObservableCounter("computegrid.carbon", () => PerHub(h => h.Executed.CarbonKg), "kg", "Emissions of the work finished in each hub, kgCO2.");
        meter.CreateObservableCounter("computegrid.cost", () => PerHub(h => h.Executed.CostCny), "CNY", "Cost of the work finished in each hub, CNY.");
    }

    /// <summary>Counts a job entering <paramref name="state"/> (leaving <paramref name="from"/>, null for a new job).</summary>
    public void JobEntered(string originHub, JobState? from, JobState state)
    {
        var hub = new KeyValuePair<string, object?>("hub", originHub);
        if (from is { } left)
        {
            _jobs.Add(-1, hub, new KeyValuePair<string, object?>("state", left.ToString()));
        }

        _jobs.Add(1, hub, new KeyValuePair<string, object?>("state", state.ToString()));
        _transitions.Add(1, hub, new KeyValuePair<string, object?>("state", state.ToString()));
    }

    /// <summary>Records how long a job waited from submission to its first placement.</summary>
    public void Placed(string originHub, string placedHub, TimeSpan waited) =>
        _placementLatency.Record(
            Math.Max(0, waited.TotalSeconds),
            new KeyValuePair<string, object?>("hub", originHub),
            new KeyValuePair<string, object?>("placed_hub", placedHub));

    /// <summary>Keeps the pool's latest snapshot, balances and active loans for the gauges.</summary>
    public void Observe(PoolSnapshot pool, IReadOnlyList<HubBalance> balances, IReadOnlyList<LoanSummary> activeLoans)
    {
        _pool = pool;
        _balances = balances;
        _activeLoans = activeLoans;
    }

    private IEnumerable<Measurement<T>> PerHub<T>(Func<HubSnapshot, T> value)
        where T : struct =>
        _pool is { } pool
            ? pool.Hubs.Select(h => new Measurement<T>(value(h), new KeyValuePair<string, object?>("hub", h.Hub.Id)))
            : [];

    private IEnumerable<Measurement<long>> Balances(Func<HubBalance, long> value) =>
        _balances.Select(b => new Measurement<long>(value(b), new KeyValuePair<string, object?>("hub", b.HubId)));

    private IEnumerable<Measurement<int>> ActiveLoans() =>
        _activeLoans.GroupBy(l => (l.Lender, l.Borrower)).Select(g => new Measurement<int>(
            g.Count(),
            new KeyValuePair<string, object?>("lender", g.Key.Lender),
            new KeyValuePair<string, object?>("borrower", g.Key.Borrower)));
}
