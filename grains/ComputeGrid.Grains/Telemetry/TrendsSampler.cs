using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Ops;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Telemetry;

/// <summary>Settings of the operators' trends (section <c>Trends</c>), the history behind the charts of <c>/ops</c>.</summary>
public sealed class TrendsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Trends";

    /// <summary>How often each silo reports, and the width of one point of the trends; default 1 min, 1 s..10 min.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How much history the trends keep; default 1 h, at least one interval and at most 24 h.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Fails start-up with the setting's name and the reason.</summary>
internal sealed class TrendsOptionsValidator : IValidateOptions<TrendsOptions>
{
    public ValidateOptionsResult Validate(string? name, TrendsOptions options)
    {
        var failures = new List<string>();
        if (options.SampleInterval < TimeSpan.FromSeconds(1) || options.SampleInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"Trends:SampleInterval must be 00:00:01..00:10:00 (was {options.SampleInterval})");
        }

        if (options.Window < options.SampleInterval || options.Window > TimeSpan.FromHours(24))
        {
            failures.Add($"Trends:Window must be at least Trends:SampleInterval and at most 24:00:00 (was {options.Window})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Reports this silo's share of the operators' trends to <see cref="IOpsTrendsGrain"/> once per interval: the jobs it saw
/// submitted and placed since its last report, the job arrays accepted on it, and the pool's readings from the latest
/// snapshot the metrics poller took (so sampling calls no data center).
/// </summary>
internal sealed partial class TrendsSampler(
    IGrainFactory grains,
    GridMetrics metrics,
    GridClock clock,
    ILocalSiloDetails silo,
    IOptions<TrendsOptions> options,
    ILogger<TrendsSampler> logger) : BackgroundService
{
    private long _submitted;
    private long _placed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SampleInterval;
        _submitted = metrics.JobsSubmitted;
        _placed = metrics.JobsPlaced;
        // Wall-clock ticks, as the metrics poller's: a virtual federation clock may stand still.
        using var timer = new PeriodicTimer(interval, TimeProvider.System);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await ReportAsync(interval, stoppingToken);
        }
    }

    private async Task ReportAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        if (metrics.LatestPool is not { } pool)
        {
            return;
        }

        var submitted = metrics.JobsSubmitted;
        var placed = metrics.JobsPlaced;
        var arrays = metrics.TakeNewArrayIds();
        var sample = new TrendSample(IntervalStart(clock.Now, interval), submitted - _submitted, placed - _placed, Readings(pool, metrics.LatestWaits), arrays);
        try
        {
            await grains.GetGrain<IOpsTrendsGrain>(PoolGrainKey.National).RecordAsync(silo.SiloAddress.ToParsableString(), sample, interval, options.Value.Window);
            _submitted = submitted;
            _placed = placed;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The counts carry over to the next report; only the arrays of this one are lost from the list.
            LogReportFailed(logger, e);
        }
    }

    /// <summary>The start of the interval <paramref name="now"/> falls in: a multiple of <paramref name="interval"/> since the Unix epoch.</summary>
    internal static DateTimeOffset IntervalStart(DateTimeOffset now, TimeSpan interval) =>
        DateTimeOffset.UnixEpoch.AddTicks((now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / interval.Ticks * interval.Ticks);

    /// <summary>The pool's readings: queues and their oldest job per hub, the west's share of the cores in use and the carbon intensity of the work placed.</summary>
    internal static TrendReadings Readings(PoolSnapshot pool, IReadOnlyList<HubWaitGauge> waits)
    {
        var oldest = waits.ToDictionary(w => w.HubId, w => w.OldestQueuedAgeSeconds, StringComparer.Ordinal);
        var used = pool.Hubs.SelectMany(h => h.DataCenters.Select(d => (h.Hub.Zone, Cores: d.Used.CpuMillicores / 1000.0, d.Spec.Energy.EffectiveKgCo2PerItKwh))).ToList();
        var cores = used.Sum(u => u.Cores);
        return new TrendReadings(
            pool.Hubs.ToDictionary(h => h.Hub.Id, h => h.QueueLength, StringComparer.Ordinal),
            pool.Hubs.ToDictionary(h => h.Hub.Id, h => oldest.GetValueOrDefault(h.Hub.Id), StringComparer.Ordinal),
            cores > 0 ? used.Where(u => u.Zone == Zone.West).Sum(u => u.Cores) / cores : null,
            cores > 0 ? used.Sum(u => u.Cores * u.EffectiveKgCo2PerItKwh) / cores : null);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reporting the operators' trends failed; the next report carries the counts")]
    private static partial void LogReportFailed(ILogger logger, Exception exception);
}
