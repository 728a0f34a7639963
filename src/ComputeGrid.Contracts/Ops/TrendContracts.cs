namespace ComputeGrid.Contracts.Ops;

/// <summary>What one silo reports for one sampling interval of the operators' trends.</summary>
/// <param name="At">The interval's start (federation clock, a multiple of the interval since the Unix epoch).</param>
/// <param name="Submitted">Jobs submitted through this silo in the interval.</param>
/// <param name="Placed">Jobs this silo placed for the first time in the interval.</param>
/// <param name="Readings">The pool as this silo last read it.</param>
/// <param name="NewArrayIds">Job arrays accepted on this silo since its last report.</param>
[GenerateSerializer, Immutable, Alias("cg.TrendSample")]
public sealed record TrendSample(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] long Submitted,
    [property: Id(2)] long Placed,
    [property: Id(3)] TrendReadings Readings,
    [property: Id(4)] IReadOnlyList<string> NewArrayIds);

/// <summary>The pool's state at one moment, as the trends chart it.</summary>
/// <param name="QueueLength">Jobs waiting in each hub's queue, by hub id.</param>
/// <param name="OldestQueuedAgeSeconds">Seconds the longest-waiting job of each hub's queue has waited (0 when empty), by hub id.</param>
/// <param name="WestCoreShare">Share of the CPU cores in use that are in western (resource-side) hubs, 0..1: the west's share of the core-hours being used; null when no core is in use.</param>
/// <param name="CarbonKgPerKwh">Carbon intensity of the work placed now: the effective kgCO2 per kWh of IT energy (PUE x grid factor x (1 - green share)) of the data centers it runs in, weighted by the cores it holds there; null when no core is in use.</param>
[GenerateSerializer, Immutable, Alias("cg.TrendReadings")]
public sealed record TrendReadings(
    [property: Id(0)] IReadOnlyDictionary<string, int> QueueLength,
    [property: Id(1)] IReadOnlyDictionary<string, double> OldestQueuedAgeSeconds,
    [property: Id(2)] double? WestCoreShare,
    [property: Id(3)] double? CarbonKgPerKwh);

/// <summary>One interval of the trends, over every silo that reported it.</summary>
/// <param name="At">The interval's start.</param>
/// <param name="Submitted">Jobs submitted in the interval, summed over the silos.</param>
/// <param name="Placed">Jobs placed for the first time in the interval, summed over the silos.</param>
/// <param name="Readings">The pool's readings last reported for the interval.</param>
[GenerateSerializer, Immutable, Alias("cg.TrendPoint")]
public sealed record TrendPoint(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] long Submitted,
    [property: Id(2)] long Placed,
    [property: Id(3)] TrendReadings Readings);

/// <summary>The trends of the last window and the job arrays accepted most recently.</summary>
/// <param name="Interval">The sampling interval (a minute by default).</param>
/// <param name="Points">One point per interval reported, oldest first, within the window (an hour by default).</param>
/// <param name="RecentArrayIds">Job arrays accepted most recently, newest first (at most <see cref="OpsTrends.MaxRecentArrays"/>).</param>
[GenerateSerializer, Immutable, Alias("cg.OpsTrends")]
public sealed record OpsTrends(
    [property: Id(0)] TimeSpan Interval,
    [property: Id(1)] IReadOnlyList<TrendPoint> Points,
    [property: Id(2)] IReadOnlyList<string> RecentArrayIds)
{
    /// <summary>Job arrays remembered at most.</summary>
    public const int MaxRecentArrays = 20;
}

/// <summary>
/// The operators' trends of the whole cluster (key <see cref="PoolGrainKey.National"/>): every silo reports each interval,
/// and the grain sums the silos' counts per interval and keeps the last window in memory (it starts empty again when the
/// silo that hosts it stops).
/// </summary>
[Alias("cg.IOpsTrendsGrain")]
public interface IOpsTrendsGrain : IGrainWithStringKey
{
    /// <summary>Records one silo's report for one interval; a silo's second report of the same interval replaces its first.</summary>
    [Alias("Record")]
    Task RecordAsync(string siloId, TrendSample sample, TimeSpan interval, TimeSpan window);

    /// <summary>The trends of the window ending now.</summary>
    [Alias("Get")]
    Task<OpsTrends> GetAsync(CancellationToken cancellationToken = default);
}
