using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Pool;
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

    /// <summary>
    /// Most data centers one poll reads, those read longest ago first; default 500, at least 1. A hub's gauges sum the
    /// last read of each of its data centers, so with more data centers than this each is read every
    /// ceil(data centers / this) polls: what the gauges cost stays the same however large the pool grows.
    /// </summary>
    public int MaxDataCenterReadsPerPoll { get; set; } = 500;
}

/// <summary>
/// Reads the pool's data centers (a bounded number per poll, in turns, with the agents of those that have any), active
/// loans and hub balances on an interval and hands them to <see cref="GridMetrics"/>.
/// </summary>
internal sealed partial class PoolMetricsPoller(
    IGrainFactory grains,
    GridMetrics metrics,
    TopologyCatalog catalog,
    GridClock clock,
    IOptions<MetricsOptions> options,
    ILogger<PoolMetricsPoller> logger) : BackgroundService
{
    private readonly Dictionary<string, DataCenterSnapshot> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string HubId, IReadOnlyList<AgentInfo> Agents)> _agents = new(StringComparer.Ordinal);
    private long _directoryVersion = -1;
    private int _next;

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
            var directory = await grains.GetGrain<IPoolGrain>(PoolGrainKey.National).GetDirectoryAsync(cancellationToken);
            await ReadSomeAsync(directory, cancellationToken);
            var pool = PoolGrain.Summarise(catalog.Seed.Hubs.Values, _seen.Values, await PoolGrain.QueueLengthsAsync(grains, catalog, cancellationToken));
            var book = grains.GetGrain<ILoanBookGrain>(PoolGrainKey.National);
            var balances = await book.GetBalancesAsync(cancellationToken);
            var page = await book.ListAsync(null, LoanState.Active, 500, null, cancellationToken);
            var now = clock.Now;
            metrics.Observe(pool, balances, page.Loans, [.. _agents.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => Gauge(a.Key, a.Value.HubId, a.Value.Agents, now))]);
            metrics.ObserveWaits(await HubWaits.ReadAsync(grains, catalog, now, cancellationToken));
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Until the silo is active (or while it stops, or while a crashed silo is not yet declared dead) grain calls
            // fail, Orleans' own cancellations ("message expired") included; the gauges keep their last values. Only the
            // host's own stop ends the loop: an escaping exception would fail this BackgroundService and stop the silo.
            LogPollFailed(logger, e);
        }
    }

    /// <summary>Reads the next data centers of the directory in turn (at most the option's number), forgetting removed ones.</summary>
    private async Task ReadSomeAsync(PoolDirectory directory, CancellationToken cancellationToken)
    {
        var ids = directory.DataCenters;
        if (directory.Version != _directoryVersion)
        {
            _directoryVersion = directory.Version;
            var known = ids.Select(d => d.Spec.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _seen.Keys.Where(id => !known.Contains(id)).ToList())
            {
                _seen.Remove(gone);
            }

            foreach (var gone in _agents.Keys.Where(id => !known.Contains(id)).ToList())
            {
                _agents.Remove(gone);
            }
        }

        var turn = Turn([.. ids.Select(d => d.Spec.Id)], _next, options.Value.MaxDataCenterReadsPerPoll, out _next);
        var snapshots = await Task.WhenAll(turn.Select(id => grains.GetGrain<IDataCenterGrain>(id).GetSnapshotAsync(cancellationToken)));

        // Every data center of this turn is asked for its agents (it is read for its snapshot anyway): one whose agents
        // have not synced yet runs no commands, so the directory does not tell that it has credentials issued.
        var hubOf = ids.ToDictionary(d => d.Spec.Id, d => d.Spec.HubId, StringComparer.Ordinal);
        var agents = await Task.WhenAll(turn.Select(id => grains.GetGrain<IDataCenterGrain>(id).ListAgentsAsync(cancellationToken)));
        for (var i = 0; i < turn.Count; i++)
        {
            if (agents[i].Count > 0)
            {
                _agents[turn[i]] = (hubOf[turn[i]], agents[i]);
            }
            else
            {
                _agents.Remove(turn[i]);
            }
        }

        for (var i = 0; i < turn.Count; i++)
        {
            if (snapshots[i] is { } snapshot)
            {
                _seen[turn[i]] = snapshot;
            }
            else
            {
                _seen.Remove(turn[i]);
            }
        }
    }

    /// <summary>
    /// The data centers one poll reads: at most <paramref name="max"/> (at least 1) of <paramref name="ids"/> from position
    /// <paramref name="next"/> on, wrapping round, none twice; <paramref name="after"/> is where the next poll starts.
    /// </summary>
    internal static List<string> Turn(IReadOnlyList<string> ids, int next, int max, out int after)
    {
        var count = Math.Min(ids.Count, Math.Max(1, max));
        var start = ids.Count == 0 ? 0 : next % ids.Count;
        after = ids.Count == 0 ? 0 : (start + count) % ids.Count;
        return [.. Enumerable.Range(0, count).Select(i => ids[(start + i) % ids.Count])];
    }

    /// <summary>The agent gauges of one data center from its agents as listed at <paramref name="now"/>: revoked ones do not count.</summary>
    internal static AgentGauge Gauge(string dataCenterId, string hubId, IReadOnlyList<AgentInfo> agents, DateTimeOffset now)
    {
        var live = agents.Where(a => a.RevokedAt is null).ToList();
        var lastSync = live.Max(a => a.LastSyncAt);
        return new AgentGauge(dataCenterId, hubId, live.Count, live.Count(a => a.Online), lastSync is { } at ? Math.Max(0, (now - at).TotalSeconds) : null);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading the pool for metrics failed; the gauges keep their last values")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
