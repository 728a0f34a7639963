using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Jobs;
using Orleans.Streams;

namespace ComputeGrid.Cluster.Tests;

/// <summary>
/// Where one fault's recovery time goes, each milestone measured from the fault on the test's clock: the death of the
/// killed silos declared in the membership table; the first (and the last) of the grains each killed silo hosted, per
/// kind, answering a call again; probe streams (subscribed before the fault) delivering an event published after it; the first submission accepted; the
/// whole pool answering. The milestones are polled concurrently, each until it is reached or a deadline passes.
/// </summary>
internal sealed class FaultTimeline
{
    /// <summary>The grain kinds sampled on a killed silo (Orleans' grain type names of RegionGrain, DataCenterGrain, JobGrain, LoanGrain).</summary>
    public static readonly string[] Kinds = ["region", "datacenter", "job", "loan"];

    /// <summary>Grains of each kind sampled on the killed silos: enough to see the spread, few enough not to add load.</summary>
    private const int SamplesPerKind = 4;

    /// <summary>Probe streams published on after each fault; their ids hash to different stream queues.</summary>
    private const int StreamProbes = 4;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan AttemptLimit = TimeSpan.FromSeconds(3);
    private readonly ConcurrentDictionary<string, TimeSpan> _milestones = new(StringComparer.Ordinal);
    private readonly List<StreamProbe> _probes = [];

    private FaultTimeline(string fault, TimeSpan start, IReadOnlyList<SiloAddress> victims, IReadOnlyDictionary<string, IReadOnlyList<GrainId>> grains)
    {
        Fault = fault;
        Start = start;
        Victims = victims;
        Grains = grains;
    }

    /// <summary>The fault: silo, east-zone or azurite.</summary>
    public string Fault { get; }

    /// <summary>When the fault was injected, on the test's clock.</summary>
    public TimeSpan Start { get; private set; }

    /// <summary>The silos killed (empty for a storage restart).</summary>
    public IReadOnlyList<SiloAddress> Victims { get; }

    /// <summary>Sampled grains hosted by the victims, by kind.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<GrainId>> Grains { get; }

    /// <summary>Time from the fault to the recovery the chaos test measures (a submission accepted and the pool answering).</summary>
    public TimeSpan? Recovery => _milestones.TryGetValue("pool", out var pool) ? pool : null;

    /// <summary>Milestone name to time from the fault.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Milestones => _milestones;

    /// <summary>
    /// Before the fault: which live silos listen on <paramref name="siloPorts"/> (the victims), and a sample of the grains
    /// of each kind they host. Best effort: a cluster that does not answer gives an empty sample.
    /// </summary>
    public static async Task<FaultTimeline> BeforeAsync(IClusterClient orleans, string fault, IReadOnlyCollection<int> siloPorts, Func<TimeSpan> clock)
    {
        var victims = new List<SiloAddress>();
        var grains = new Dictionary<string, IReadOnlyList<GrainId>>(StringComparer.Ordinal);
        if (siloPorts.Count > 0)
        {
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                var management = orleans.GetGrain<IManagementGrain>(0);
                var hosts = await management.GetHosts(onlyActive: true).WaitAsync(limit.Token);
                victims.AddRange(hosts.Keys.Where(s => siloPorts.Contains(s.Endpoint.Port)));
                var statistics = await management.GetDetailedGrainStatistics(hostsIds: [.. victims]).WaitAsync(limit.Token);
                foreach (var kind in Kinds)
                {
                    grains[kind] = [.. statistics.Select(s => s.GrainId).Where(g => g.Type.ToString() == kind).Distinct().Take(SamplesPerKind)];
                }
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or OrleansException)
            {
                // Sampled nothing: the timeline then reports the death and the client's view only.
            }
        }

        var timeline = new FaultTimeline(fault, TimeSpan.Zero, victims, grains);
        await timeline.SubscribeProbesAsync(orleans, $"chaos-streamprobe-{Guid.NewGuid():n}");
        timeline.Start = clock();
        return timeline;
    }

    /// <summary>Records a milestone measured elsewhere (the probe's submission, the pool, storage answering) once.</summary>
    public void Reached(string milestone, TimeSpan at) => _milestones.TryAdd(milestone, at - Start);

    /// <summary>Polls every milestone of this timeline concurrently until each is reached or <paramref name="limit"/> passes.</summary>
    public Task MeasureAsync(IClusterClient orleans, Func<TimeSpan> clock, TimeSpan limit)
    {
        var work = new List<Task>();
        if (Victims.Count > 0)
        {
            work.Add(DeathAsync(orleans, clock, limit));
        }

        foreach (var (kind, sampled) in Grains.Where(g => g.Value.Count > 0))
        {
            work.Add(ServedAsync(orleans, kind, sampled, clock, limit));
        }

        work.Add(StreamsAsync(clock, limit));
        return Task.WhenAll(work);
    }

    /// <summary>One line: each milestone in seconds from the fault, in the order they matter, "-" for one never reached.</summary>
    public string Describe(string label)
    {
        string At(string milestone) => _milestones.TryGetValue(milestone, out var at) ? string.Create(CultureInfo.InvariantCulture, $"{at.TotalSeconds:0.0}s") : "-";
        var parts = new List<string>();
        if (Victims.Count > 0)
        {
            parts.Add($"death_declared={At("death")}");
        }

        if (Fault == "azurite")
        {
            parts.Add($"storage_answering={At("storage")}");
        }

        foreach (var kind in Kinds.Where(k => Grains.GetValueOrDefault(k)?.Count > 0))
        {
            parts.Add($"{kind}={At($"{kind}:first")}/{At($"{kind}:all")}(n={Grains[kind].Count})");
        }

        parts.Add($"streams={At("streams:first")}/{At("streams:all")}");
        parts.Add($"first_submit={At("submit")}");
        parts.Add($"pool={At("pool")}");
        return $"timeline: {label} {string.Join(' ', parts)}";
    }

    private async Task DeathAsync(IClusterClient orleans, Func<TimeSpan> clock, TimeSpan limit)
    {
        var management = orleans.GetGrain<IManagementGrain>(0);
        await UntilAsync(async ct =>
        {
            var hosts = await management.GetHosts(onlyActive: false, ct);
            return Victims.All(v => hosts.TryGetValue(v, out var status) && status == SiloStatus.Dead);
        }, limit);
        if (clock() - Start < limit)
        {
            Reached("death", clock());
        }
    }

    private async Task ServedAsync(IClusterClient orleans, string kind, IReadOnlyList<GrainId> sampled, Func<TimeSpan> clock, TimeSpan limit)
    {
        var answered = 0;
        await Task.WhenAll(sampled.Select(async id =>
        {
            var key = id.Key.ToString()!;
            var served = await UntilAsync(async ct =>
            {
                switch (kind)
                {
                    case "region":
                        await orleans.GetGrain<IRegionGrain>(key).GetQueueLengthAsync(ct);
                        break;
                    case "datacenter":
                        await orleans.GetGrain<IDataCenterGrain>(key).GetSnapshotAsync(ct);
                        break;
                    case "job":
                        await orleans.GetGrain<IJobGrain>(key).GetAsync(ct);
                        break;
                    default:
                        await orleans.GetGrain<ILoanGrain>(key).GetAsync(ct);
                        break;
                }

                return true;
            }, limit);
            if (served && Interlocked.Increment(ref answered) == 1)
            {
                Reached($"{kind}:first", clock());
            }
        }));
        if (answered == sampled.Count)
        {
            Reached($"{kind}:all", clock());
        }
    }

    /// <summary>
    /// Subscribes to <see cref="StreamProbes"/> probe streams before the fault (their ids hash to different queues), so
    /// that after it the time to delivery measures the streams alone: the queue, its pulling agent and the delivery.
    /// </summary>
    private async Task SubscribeProbesAsync(IClusterClient orleans, string name)
    {
        for (var k = 0; k < StreamProbes; k++)
        {
            var probe = new StreamProbe(orleans.GetStreamProvider(GridStreams.Provider).GetStream<JobEvent>(StreamId.Create(GridStreams.JobNamespace, $"{name}-{k}")));
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                probe.Subscription = await probe.Stream.SubscribeAsync((evt, _) =>
                {
                    if (evt.Sequence >= probe.FirstAfterFault)
                    {
                        probe.Arrived.TrySetResult();
                    }

                    return Task.CompletedTask;
                }).WaitAsync(limit.Token);
                _probes.Add(probe);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or OrleansException)
            {
                // That probe is left out; the others still measure.
            }
        }
    }

    /// <summary>Publishes on each probe stream every few hundred milliseconds until its subscription receives an event sent after the fault.</summary>
    private async Task StreamsAsync(Func<TimeSpan> clock, TimeSpan limit)
    {
        var delivered = 0;
        await Task.WhenAll(_probes.Select(async probe =>
        {
            var deadline = Stopwatch.StartNew();
            var sequence = probe.FirstAfterFault;
            while (!probe.Arrived.Task.IsCompleted && deadline.Elapsed < limit)
            {
                try
                {
                    await probe.Stream.OnNextAsync(new JobEvent(probe.Stream.StreamId.ToString(), sequence++, JobState.Pending, DateTimeOffset.UtcNow, null, "stream probe")).WaitAsync(AttemptLimit);
                }
                catch (Exception e) when (e is TimeoutException or OrleansException or Azure.RequestFailedException)
                {
                    // Storage or the cluster does not take it yet.
                }

                await Task.WhenAny(probe.Arrived.Task, Task.Delay(TimeSpan.FromMilliseconds(300)));
            }

            if (probe.Arrived.Task.IsCompleted)
            {
                if (Interlocked.Increment(ref delivered) == 1)
                {
                    Reached("streams:first", clock());
                }

                if (Volatile.Read(ref delivered) == _probes.Count)
                {
                    Reached("streams:all", clock());
                }
            }

            if (probe.Subscription is { } subscription)
            {
                try
                {
                    await subscription.UnsubscribeAsync().WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (Exception e) when (e is TimeoutException or OrleansException)
                {
                    // The subscription goes with the test's client.
                }
            }
        }));
    }

    /// <summary>A probe stream: events before <see cref="FirstAfterFault"/> were never sent, so any arrival is one sent after the fault.</summary>
    private sealed class StreamProbe(IAsyncStream<JobEvent> stream)
    {
        public IAsyncStream<JobEvent> Stream { get; } = stream;

        public long FirstAfterFault { get; } = 1;

        public StreamSubscriptionHandle<JobEvent>? Subscription { get; set; }

        public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Calls until it answers true (each attempt limited to a few seconds) or <paramref name="limit"/> passes; true when it did.</summary>
    private static async Task<bool> UntilAsync(Func<CancellationToken, Task<bool>> attempt, TimeSpan limit)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < limit)
        {
            using var cancel = new CancellationTokenSource(AttemptLimit);
            try
            {
                if (await attempt(cancel.Token))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is not (ComputeGridValidationException or JobConflictException))
            {
                // Not yet: the grain's silo is dead and not yet declared so, or its new activation is loading.
            }

            await Task.Delay(PollInterval);
        }

        return false;
    }
}
