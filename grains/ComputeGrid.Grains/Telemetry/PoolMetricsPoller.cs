using ComputeGrid.Contracts;
using ComputeGrid.Domain.Loans;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Telemetry;

/// <summary>Settings of the pool-wide metrics (section <c>Metrics</c>).</summary>
public sealed class MetricsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Metrics";

    /// <summary>How often the pool's snapshot, loans and balances are read for the gauges; default 2 s, at least 100 ms. Wall clock.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>Reads the pool's snapshot, active loans and hub balances on an interval and hands them to <see cref="GridMetrics"/>.</summary>
internal sealed partial class PoolMetricsPoller(
    IGrainFactory grains,
    GridMetrics metrics,
    IOptions<MetricsOptions> options,
    ILogger<PoolMetricsPoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The interval is wall-clock on purpose: the federation clock may be virtual (tests, trace replay) and stand still.
        using var timer = new PeriodicTimer(Max(options.Value.PollInterval, TimeSpan.FromMilliseconds(100)), TimeProvider.System);
        do
        {
            await PollAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        try
        {
            var pool = await grains.GetGrain<IPoolGrain>(PoolGrainKey.National).GetPoolAsync(cancellationToken);
            var book = grains.GetGrain<ILoanBookGrain>(PoolGrainKey.National);
            var balances = await book.GetBalancesAsync(cancellationToken);
            var page = await book.ListAsync(null, LoanState.Active, 500, null, cancellationToken);
            metrics.Observe(pool, balances, page.Loans);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Until the silo is active (or while it stops, or while a crashed silo is not yet declared dead) grain calls
            // fail, Orleans' own cancellations ("message expired") included; the gauges keep their last values. Only the
            // host's own stop ends the loop: an escaping exception would fail this BackgroundService and stop the silo.
            LogPollFailed(logger, e);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading the pool for metrics failed; the gauges keep their last values")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
