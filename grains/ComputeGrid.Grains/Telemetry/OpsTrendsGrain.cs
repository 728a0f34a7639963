using ComputeGrid.Contracts.Ops;

namespace ComputeGrid.Grains.Telemetry;

/// <summary>
/// The operators' trends: holds a <see cref="TrendBook"/> in memory. It is not persisted on purpose: an hour of history
/// costs a write a minute per silo, and a trend that starts again after a restart tells the operator no lie.
/// </summary>
internal sealed class OpsTrendsGrain : Grain, IOpsTrendsGrain
{
    private readonly TrendBook _book = new();

    public Task RecordAsync(string siloId, TrendSample sample, TimeSpan interval, TimeSpan window)
    {
        _book.Record(siloId, sample, interval, window);
        return Task.CompletedTask;
    }

    public Task<OpsTrends> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(_book.Read());
}

/// <summary>
/// The trends' arithmetic, without Orleans: per interval, each silo's latest report; counts summed over silos, the
/// pool's readings from the latest report; intervals older than the window before the newest are dropped.
/// </summary>
internal sealed class TrendBook
{
    private readonly SortedDictionary<DateTimeOffset, Dictionary<string, TrendSample>> _intervals = [];
    private readonly Dictionary<DateTimeOffset, TrendReadings> _latest = [];
    private readonly List<string> _arrays = [];
    private TimeSpan _interval = TimeSpan.FromMinutes(1);

    public void Record(string siloId, TrendSample sample, TimeSpan interval, TimeSpan window)
    {
        _interval = interval;
        if (!_intervals.TryGetValue(sample.At, out var reports))
        {
            _intervals[sample.At] = reports = new Dictionary<string, TrendSample>(StringComparer.Ordinal);
        }

        reports[siloId] = sample;
        _latest[sample.At] = sample.Readings;
        var newest = _intervals.Keys.Last();
        foreach (var old in _intervals.Keys.Where(at => at <= newest - window).ToList())
        {
            _intervals.Remove(old);
            _latest.Remove(old);
        }

        foreach (var arrayId in sample.NewArrayIds.Where(id => !_arrays.Contains(id, StringComparer.Ordinal)))
        {
            _arrays.Insert(0, arrayId);
        }

        if (_arrays.Count > OpsTrends.MaxRecentArrays)
        {
            _arrays.RemoveRange(OpsTrends.MaxRecentArrays, _arrays.Count - OpsTrends.MaxRecentArrays);
        }
    }

    public OpsTrends Read() => new(
        _interval,
        [.. _intervals.Select(i => new TrendPoint(i.Key, i.Value.Values.Sum(s => s.Submitted), i.Value.Values.Sum(s => s.Placed), _latest[i.Key]))],
        [.. _arrays]);
}
