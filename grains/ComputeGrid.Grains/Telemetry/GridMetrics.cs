using System.Diagnostics.Metrics;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Grains.Telemetry;

/// <summary>What the agents of one data center look like to the metrics: counts and the age of the latest sync.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="Issued">Agent credentials issued and not revoked.</param>
/// <param name="Online">Of those, agents online now.</param>
/// <param name="LastSyncAgeSeconds">Seconds since the latest sync of any of them (federation clock); null when none has synced yet.</param>
public sealed record AgentGauge(string DataCenterId, string HubId, int Issued, int Online, double? LastSyncAgeSeconds);

/// <summary>What one hub's queue and recalls look like to the metrics.</summary>
/// <param name="HubId">The hub.</param>
/// <param name="OldestQueuedAgeSeconds">Seconds the longest-waiting job of its queue has waited (federation clock); 0 when the queue is empty.</param>
/// <param name="Recalling">Loans it lends that are being recalled now (state Recalling).</param>
/// <param name="RecallOverdueSeconds">Seconds the most overdue of those is past the end of its notice; 0 when none is.</param>
public sealed record HubWaitGauge(string HubId, double OldestQueuedAgeSeconds, int Recalling, double RecallOverdueSeconds);

/// <summary>
/// ComputeGrid's instruments on the meter <see cref="MeterName"/>. Grains record job transitions and placement latency
/// as they happen; the pool-wide gauges (queues, CPU and GPUs, data-center status, agents, loans, energy, carbon, cost)
/// read the latest snapshot that <see cref="PoolMetricsPoller"/> observed, so a scrape never calls a grain.
/// </summary>
/// <remarks>
/// Naming (docs/operations.md, "Metrics"): OpenTelemetry names in lower case with dots, a UCUM unit where UCUM has one in
/// its base unit (s, J, g), which the Prometheus exporter appends to the name (<c>_seconds</c>, <c>_joules</c>,
/// <c>_grams</c>, then <c>_total</c> for a counter). A quantity without a UCUM base unit (CPU cores, GPUs, jobs, yuan)
/// carries its unit as the name's last word (<c>.cores</c>, <c>.cny</c>) or is a plain count, with a curly-brace
/// annotation as its unit, which the exporter leaves out of the name.
/// </remarks>
public sealed class GridMetrics : IDisposable
{
    /// <summary>The meter's name; the host's OpenTelemetry pipeline listens to it.</summary>
    public const string MeterName = "ComputeGrid";

    /// <summary>Joules in a kilowatt-hour.</summary>
    private const double JoulesPerKwh = 3_600_000;

    private readonly UpDownCounter<long> _jobs;
    private readonly Counter<long> _transitions;
    private readonly Histogram<double> _placementLatency;
    private readonly Counter<long> _arrays;
    private readonly Counter<long> _arrayElements;
    private readonly UpDownCounter<long> _arraysOpen;
    private readonly UpDownCounter<long> _heldElements;
    private readonly Counter<long> _activatedElements;
    private volatile PoolSnapshot? _pool;
    private volatile IReadOnlyList<HubBalance> _balances = [];
    private volatile IReadOnlyList<LoanSummary> _activeLoans = [];
    private volatile IReadOnlyList<AgentGauge> _agents = [];
    private volatile IReadOnlyList<HubWaitGauge> _waits = [];
    private readonly long[] _storageErrors = new long[StorageOperations.Length];
    private readonly MeterListener _storageListener;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _newArrays = new();
    private long _submitted;
    private long _placed;

    /// <summary>The grain storage operations whose failures Orleans counts (instruments <c>orleans-storage-{operation}-errors</c>).</summary>
    private static readonly string[] StorageOperations = ["read", "write", "clear"];

    /// <summary>The meter Orleans records its runtime instruments on.</summary>
    private const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public GridMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _jobs = meter.CreateUpDownCounter<long>(
            "computegrid.jobs", "{job}", "Jobs in each non-terminal state by origin hub, as this silo moved them since it started (sum over silos).");
        _transitions = meter.CreateCounter<long>("computegrid.job.transitions", "{transition}", "Job state transitions by state entered and origin hub.");
        _placementLatency = meter.CreateHistogram<double>(
            "computegrid.placement.latency",
            "s",
            "Time from a job's submission to its first Scheduled state, federation clock, seconds.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600] });
        _arrays = meter.CreateCounter<long>("computegrid.job_arrays.submitted", "{array}", "Job arrays accepted, by origin hub.");
        _arrayElements = meter.CreateCounter<long>("computegrid.job_array.elements.submitted", "{job}", "Elements of the job arrays accepted, by origin hub (each also counts in computegrid.jobs as a job once submitted).");
        _arraysOpen = meter.CreateUpDownCounter<long>("computegrid.job_arrays", "{array}", "Job arrays with elements that have not ended, by origin hub, as this silo's arrays counted them since it started (sum over silos).");
        _heldElements = meter.CreateUpDownCounter<long>(
            "computegrid.job_array.elements.held", "{job}", "Array elements whose state their array holds (their job grains not activated yet), by origin hub and state (Pending, Queued or Scheduled).");
        _activatedElements = meter.CreateCounter<long>("computegrid.job_array.elements.activated", "{job}", "Array elements whose job grains took their state over from their array, by origin hub.");
        meter.CreateObservableGauge("computegrid.queue.length", () => PerHub(h => h.QueueLength), "{job}", "Jobs waiting in each hub's queue.");
        meter.CreateObservableGauge("computegrid.cpu.capacity.cores", () => PerHub(h => Cores(h.Capacity)), "{core}", "Each hub's CPU capacity, cores.");
        meter.CreateObservableGauge("computegrid.cpu.used.cores", () => PerHub(h => Cores(h.Used)), "{core}", "Each hub's CPU in use (reservations and capacity lent), cores.");
        meter.CreateObservableGauge("computegrid.gpu.capacity", () => PerHubAndModel(h => h.Capacity), "{gpu}", "Each hub's GPUs, by model.");
        meter.CreateObservableGauge("computegrid.gpu.used", () => PerHubAndModel(h => h.Used), "{gpu}", "Each hub's GPUs in use (reservations and capacity lent), by model.");
        meter.CreateObservableGauge(
            "computegrid.datacenter.status", DataCenterStatuses, "{status}", "1 for each data center's current status (Online, Draining or Offline), 0 for the others.");
        meter.CreateObservableGauge("computegrid.agents.issued", () => Agents(a => a.Issued), "{agent}", "Agent credentials issued and not revoked, by data center.");
        meter.CreateObservableGauge("computegrid.agents.online", () => Agents(a => a.Online), "{agent}", "Agents online now, by data center.");
        meter.CreateObservableGauge(
            "computegrid.agent.last_sync.age", LastSyncAges, "s", "Seconds since the latest sync of any agent of each data center (federation clock); absent before the first.");
        meter.CreateObservableGauge("computegrid.loans.active", ActiveLoans, "{loan}", "Active loans by lender and borrower hub.");
        meter.CreateObservableGauge("computegrid.loans.lent.cpu.cores", () => Balances(b => Cores(b.LentNow)), "{core}", "CPU each hub lends to others now, cores.");
        meter.CreateObservableGauge("computegrid.loans.borrowed.cpu.cores", () => Balances(b => Cores(b.BorrowedNow)), "{core}", "CPU each hub borrows from others now, cores.");
        meter.CreateObservableCounter("computegrid.energy", () => PerHub(h => h.Executed.EnergyKwh * JoulesPerKwh), "J", "Facility energy of the work finished in each hub, joules (1 kWh = 3.6 MJ).");
        meter.CreateObservableCounter("computegrid.carbon", () => PerHub(h => h.Executed.CarbonKg * 1000), "g", "Emissions of the work finished in each hub, grams of CO2.");
        meter.CreateObservableCounter("computegrid.cost.cny", () => PerHub(h => h.Executed.CostCny), "{CNY}", "Cost of the work finished in each hub, yuan (CNY).");
        meter.CreateObservableGauge(
            "computegrid.queue.oldest.age", () => Waits(w => w.OldestQueuedAgeSeconds), "s", "Seconds the longest-waiting job of each hub's queue has waited (federation clock); 0 when the queue is empty.");
        meter.CreateObservableGauge("computegrid.loans.recalling", () => Waits(w => (double)w.Recalling), "{loan}", "Loans each hub lends that are being recalled now (state Recalling), by lender hub.");
        meter.CreateObservableGauge(
            "computegrid.loans.recall.overdue", () => Waits(w => w.RecallOverdueSeconds), "s", "Seconds the most overdue recall of each lending hub is past the end of its notice; 0 when none is.");
        meter.CreateObservableCounter(
            "computegrid.storage.errors", StorageErrors, "{error}", "Grain storage operations (read, write, clear) that failed on this silo since it started, as Orleans counts them.");

        // Orleans counts storage failures on its own meter only once one happens, so a healthy silo would export no series
        // to alert on; this silo's counter exists from the start, at 0.
        _storageListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == OrleansMeterName && StorageOperationOf(instrument.Name) >= 0)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _storageListener.SetMeasurementEventCallback<int>((instrument, value, _, _) => CountStorageErrors(instrument, value));
        _storageListener.SetMeasurementEventCallback<long>((instrument, value, _, _) => CountStorageErrors(instrument, value));
        _storageListener.Start();
    }

    /// <summary>Jobs submitted through this silo since it started (new jobs entering Pending).</summary>
    public long JobsSubmitted => Interlocked.Read(ref _submitted);

    /// <summary>Jobs this silo placed for the first time since it started.</summary>
    public long JobsPlaced => Interlocked.Read(ref _placed);

    /// <summary>
    /// Counts a job entering <paramref name="state"/> (leaving <paramref name="from"/>, null for a new job). The jobs gauge
    /// holds current states only: a job that ends leaves it (its end is in the transitions counter).
    /// </summary>
    public void JobEntered(string originHub, JobState? from, JobState state)
    {
        var hub = new KeyValuePair<string, object?>("hub", originHub);
        if (from is { } left && !left.IsTerminal())
        {
            _jobs.Add(-1, hub, new KeyValuePair<string, object?>("state", left.ToString()));
        }

        if (!state.IsTerminal())
        {
            _jobs.Add(1, hub, new KeyValuePair<string, object?>("state", state.ToString()));
        }

        _transitions.Add(1, hub, new KeyValuePair<string, object?>("state", state.ToString()));
        if (from is null)
        {
            Interlocked.Increment(ref _submitted);
        }
    }

    /// <summary>Records how long a job waited from submission to its first placement.</summary>
    public void Placed(string originHub, string placedHub, TimeSpan waited)
    {
        _placementLatency.Record(
            Math.Max(0, waited.TotalSeconds),
            new KeyValuePair<string, object?>("hub", originHub),
            new KeyValuePair<string, object?>("placed_hub", placedHub));
        Interlocked.Increment(ref _placed);
    }

    /// <summary>Records an accepted job array of <paramref name="count"/> elements; its id goes to the operators' trends.</summary>
    public void ArraySubmitted(string originHub, int count, string? arrayId = null)
    {
        var hub = new KeyValuePair<string, object?>("hub", originHub);
        _arrays.Add(1, hub);
        _arrayElements.Add(count, hub);
        if (arrayId is not null && _newArrays.Count < Contracts.Ops.OpsTrends.MaxRecentArrays)
        {
            _newArrays.Enqueue(arrayId);
        }
    }

    /// <summary>Counts <paramref name="count"/> jobs entering <paramref name="state"/> at once (array elements moved by their array), as <see cref="JobEntered"/> does one.</summary>
    public void JobsEntered(string originHub, JobState? from, JobState state, int count)
    {
        if (count <= 0)
        {
            return;
        }

        var hub = new KeyValuePair<string, object?>("hub", originHub);
        if (from is { } left && !left.IsTerminal())
        {
            _jobs.Add(-count, hub, new KeyValuePair<string, object?>("state", left.ToString()));
        }

        if (!state.IsTerminal())
        {
            _jobs.Add(count, hub, new KeyValuePair<string, object?>("state", state.ToString()));
        }

        _transitions.Add(count, hub, new KeyValuePair<string, object?>("state", state.ToString()));
    }

    /// <summary>An array of this silo opened (accepted or activated with elements not ended, +1) or closed (every element ended or the activation went, -1).</summary>
    public void ArrayOpen(string originHub, int delta) => _arraysOpen.Add(delta, new KeyValuePair<string, object?>("hub", originHub));

    /// <summary><paramref name="delta"/> array elements held by their array entered (positive) or left (negative) <paramref name="state"/>.</summary>
    public void ElementsHeld(string originHub, JobState state, int delta)
    {
        if (delta != 0)
        {
            _heldElements.Add(delta, new KeyValuePair<string, object?>("hub", originHub), new KeyValuePair<string, object?>("state", state.ToString()));
        }
    }

    /// <summary>An array element's job grain took its state over from its array.</summary>
    public void ElementActivated(string originHub) => _activatedElements.Add(1, new KeyValuePair<string, object?>("hub", originHub));

    /// <summary>The job arrays accepted on this silo since the last call, oldest first (at most the trends keep).</summary>
    public IReadOnlyList<string> TakeNewArrayIds()
    {
        var taken = new List<string>();
        while (_newArrays.TryDequeue(out var arrayId))
        {
            taken.Add(arrayId);
        }

        return taken;
    }

    /// <summary>The pool's snapshot the poller observed last; null before the first.</summary>
    public PoolSnapshot? LatestPool => _pool;

    /// <summary>Each hub's oldest queued age and recalls as the poller observed them last.</summary>
    public IReadOnlyList<HubWaitGauge> LatestWaits => _waits;

    /// <summary>Keeps the pool's latest snapshot, balances, active loans and agents for the gauges.</summary>
    public void Observe(PoolSnapshot pool, IReadOnlyList<HubBalance> balances, IReadOnlyList<LoanSummary> activeLoans, IReadOnlyList<AgentGauge> agents)
    {
        _pool = pool;
        _balances = balances;
        _activeLoans = activeLoans;
        _agents = agents;
    }

    /// <summary>Keeps each hub's oldest queued age and recalls for the gauges.</summary>
    public void ObserveWaits(IReadOnlyList<HubWaitGauge> waits) => _waits = waits;

    /// <inheritdoc />
    public void Dispose() => _storageListener.Dispose();

    private static int StorageOperationOf(string instrument) =>
        Array.FindIndex(StorageOperations, operation => instrument == $"orleans-storage-{operation}-errors");

    private void CountStorageErrors(Instrument instrument, long value)
    {
        var operation = StorageOperationOf(instrument.Name);
        if (operation >= 0)
        {
            Interlocked.Add(ref _storageErrors[operation], value);
        }
    }

    private IEnumerable<Measurement<long>> StorageErrors() =>
        StorageOperations.Select((operation, i) => new Measurement<long>(Interlocked.Read(ref _storageErrors[i]), new KeyValuePair<string, object?>("operation", operation)));

    private IEnumerable<Measurement<double>> Waits(Func<HubWaitGauge, double> value) =>
        _waits.Select(w => new Measurement<double>(value(w), new KeyValuePair<string, object?>("hub", w.HubId)));

    private static double Cores(ResourceVector amount) => amount.CpuMillicores / 1000.0;

    private IEnumerable<Measurement<T>> PerHub<T>(Func<HubSnapshot, T> value)
        where T : struct =>
        _pool is { } pool
            ? pool.Hubs.Select(h => new Measurement<T>(value(h), new KeyValuePair<string, object?>("hub", h.Hub.Id)))
            : [];

    private IEnumerable<Measurement<int>> PerHubAndModel(Func<HubSnapshot, ResourceVector> amount) =>
        _pool is { } pool
            ? pool.Hubs.SelectMany(h => h.Capacity.Gpus.Keys.Select(model => new Measurement<int>(
                amount(h).GpusOf(model),
                new KeyValuePair<string, object?>("hub", h.Hub.Id),
                new KeyValuePair<string, object?>("model", model))))
            : [];

    private IEnumerable<Measurement<int>> DataCenterStatuses() =>
        _pool is { } pool
            ? pool.Hubs.SelectMany(h => h.DataCenters).SelectMany(d => Enum.GetValues<DataCenterStatus>().Select(status => new Measurement<int>(
                d.Status == status ? 1 : 0,
                new KeyValuePair<string, object?>("data_center", d.Spec.Id),
                new KeyValuePair<string, object?>("hub", d.Spec.HubId),
                new KeyValuePair<string, object?>("status", status.ToString()))))
            : [];

    private IEnumerable<Measurement<int>> Agents(Func<AgentGauge, int> value) =>
        _agents.Select(a => new Measurement<int>(value(a), DataCenterTags(a)));

    private IEnumerable<Measurement<double>> LastSyncAges() =>
        _agents.Where(a => a.LastSyncAgeSeconds is not null).Select(a => new Measurement<double>(a.LastSyncAgeSeconds!.Value, DataCenterTags(a)));

    private static KeyValuePair<string, object?>[] DataCenterTags(AgentGauge a) =>
        [new("data_center", a.DataCenterId), new("hub", a.HubId)];

    private IEnumerable<Measurement<double>> Balances(Func<HubBalance, double> value) =>
        _balances.Select(b => new Measurement<double>(value(b), new KeyValuePair<string, object?>("hub", b.HubId)));

    private IEnumerable<Measurement<int>> ActiveLoans() =>
        _activeLoans.GroupBy(l => (l.Lender, l.Borrower)).Select(g => new Measurement<int>(
            g.Count(),
            new KeyValuePair<string, object?>("lender", g.Key.Lender),
            new KeyValuePair<string, object?>("borrower", g.Key.Borrower)));
}
