using System.Collections.Immutable;
using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Load;

/// <summary>
/// A trace's mean demand over its arrival span (first to last submission): CPU cores, memory GiB and GPUs by model that
/// are busy on average, that is core-seconds (GPU-seconds) of work per second of trace.
/// </summary>
/// <param name="Cores">CPU core-seconds per second.</param>
/// <param name="MemoryGiB">Memory GiB-seconds per second.</param>
/// <param name="Gpus">GPU-seconds per second by topology GPU model.</param>
/// <param name="Span">The arrival span the work is spread over.</param>
public sealed record TraceDemand(double Cores, double MemoryGiB, IReadOnlyDictionary<string, double> Gpus, TimeSpan Span)
{
    /// <summary>The mean demand of <paramref name="requests"/> submitted at <paramref name="submits"/> (same order).</summary>
    public static TraceDemand Of(IReadOnlyList<JobRequest> requests, IReadOnlyList<TimeSpan> submits)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(submits.Count, requests.Count, nameof(submits));
        var span = submits.Count == 0 ? TimeSpan.Zero : submits.Max() - submits.Min();
        if (span <= TimeSpan.Zero)
        {
            throw new ArgumentException("a load needs jobs submitted over a span of time (at least two distinct submission times)", nameof(submits));
        }

        double cores = 0, memory = 0;
        var gpus = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var r in requests)
        {
            var seconds = r.RunTime.TotalSeconds;
            cores += r.CpuMillicores / 1000.0 * seconds;
            memory += r.MemoryMiB / 1024.0 * seconds;
            if (r.Gpus > 0 && r.GpuModel is { } model)
            {
                gpus[model] = gpus.GetValueOrDefault(model) + (r.Gpus * seconds);
            }
        }

        var s = span.TotalSeconds;
        return new TraceDemand(cores / s, memory / s, gpus.ToDictionary(g => g.Key, g => g.Value / s, StringComparer.Ordinal), span);
    }

    /// <summary>
    /// The load on <paramref name="pool"/>: demand over capacity in the binding dimension (the largest of CPU, memory and
    /// each GPU model); a dimension the pool lacks is skipped.
    /// </summary>
    public double LoadOn(ResourceVector pool, double speedup = 1)
    {
        var load = 0.0;
        if (pool.CpuMillicores > 0)
        {
            load = Math.Max(load, Cores / (pool.CpuMillicores / 1000.0));
        }

        if (pool.MemoryMiB > 0)
        {
            load = Math.Max(load, MemoryGiB / (pool.MemoryMiB / 1024.0));
        }

        foreach (var (model, busy) in Gpus)
        {
            if (pool.GpusOf(model) > 0)
            {
                load = Math.Max(load, busy / pool.GpusOf(model));
            }
        }

        return load * speedup;
    }
}

/// <summary>How a requested load is reached: a capacity scale of every data center and a time compression of arrivals.</summary>
/// <param name="Target">The load asked for.</param>
/// <param name="CapacityScale">Every data center's (and quota's) capacity times this.</param>
/// <param name="Speedup">Submission times divided by this (run times unchanged); 1 when capacity scaling alone suffices (and rounding took nothing away).</param>
/// <param name="Achieved">The load of the scaled pool and compressed trace, after rounding capacities up to whole units.</param>
public sealed record LoadPlan(double Target, double CapacityScale, double Speedup, double Achieved)
{
    /// <summary>
    /// Plans load <paramref name="target"/> for <paramref name="requests"/>: capacity scaling first (run times and waits stay
    /// what they were); when the scale would leave some job without any data center large enough for it within its latency
    /// class, residency and GPU model, capacity stops at the smallest scale that still fits every job, and arrivals are
    /// compressed by the rest.
    /// </summary>
    public static LoadPlan For(double target, IReadOnlyList<JobRequest> requests, IReadOnlyList<TimeSpan> submits, NationalTopology topology)
    {
        if (!(target > 0 && target <= 2))
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, "a load must be above 0 and at most 2");
        }

        var demand = TraceDemand.Of(requests, submits);
        var atFull = demand.LoadOn(topology.TotalCapacity);
        if (atFull <= 0)
        {
            throw new ArgumentException("the jobs ask for no resource the pool has", nameof(requests));
        }

        var wanted = atFull / target;
        var scale = Math.Max(wanted, SmallestFittingScale(requests, topology));
        // Rounding capacities up to whole units (GPUs above all) leaves the pool larger than asked; arrivals make up the
        // rest when that is more than 0.1% of the load.
        var scaled = LoadScaling.Scale(topology, scale);
        var atScale = demand.LoadOn(scaled.TotalCapacity);
        var speedup = atScale < target * 0.999 ? target / atScale : 1;
        return new LoadPlan(target, scale, speedup, demand.LoadOn(scaled.TotalCapacity, speedup));
    }

    /// <summary>
    /// The smallest capacity scale at which every job that fits the full pool still fits one data center it may use
    /// (allowed hub, latency class, GPU model), within what a loan can bring there (<see cref="LoadScaling.ReachableBy"/>); jobs that fit nowhere even at full capacity are left out (the federation
    /// rejects them at any load).
    /// </summary>
    public static double SmallestFittingScale(IReadOnlyList<JobRequest> requests, NationalTopology topology)
    {
        var most = 0.0;
        foreach (var r in requests)
        {
            var best = double.PositiveInfinity;
            foreach (var d in LoadScaling.UsableBy(r, topology))
            {
                best = Math.Min(best, ScaleToFit(r, LoadScaling.ReachableBy(r, d, topology)));
            }

            if (best <= 1)
            {
                most = Math.Max(most, best);
            }
        }

        return most;
    }

    private static double ScaleToFit(JobRequest r, ResourceVector capacity)
    {
        var s = Math.Max(
            capacity.CpuMillicores == 0 ? double.PositiveInfinity : (double)r.CpuMillicores / capacity.CpuMillicores,
            capacity.MemoryMiB == 0 ? double.PositiveInfinity : (double)r.MemoryMiB / capacity.MemoryMiB);
        if (r.Gpus > 0 && r.GpuModel is { } model)
        {
            s = Math.Max(s, capacity.GpusOf(model) == 0 ? double.PositiveInfinity : (double)r.Gpus / capacity.GpusOf(model));
        }

        return s;
    }
}

/// <summary>Scales a topology's capacities and the pool's arrivals.</summary>
public static class LoadScaling
{
    /// <summary>
    /// A copy of <paramref name="topology"/> with every data center's capacity, and every hub's lending and borrowing limit,
    /// times <paramref name="scale"/>, rounded up to whole millicores, MiB and GPUs (a data center keeps its GPU models).
    /// </summary>
    public static NationalTopology Scale(NationalTopology topology, double scale)
    {
        if (!(scale > 0) || double.IsInfinity(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "a capacity scale must be above 0");
        }

        if (scale == 1)
        {
            return topology;
        }

        var hubs = topology.Hubs.Values.Select(h => h.Quota is { } q
            ? h with { Quota = q with { LendingLimit = Times(q.LendingLimit, scale), BorrowingLimit = Times(q.BorrowingLimit, scale) } }
            : h);
        var dataCenters = topology.DataCenters.Values.Select(d => d with { Capacity = Times(d.Capacity, scale)! });
        return new NationalTopology(hubs, dataCenters, topology.Power, topology.Latency, topology.TransferCnyPerGiB, topology.Assumptions);
    }

    /// <summary>Submission times divided by <paramref name="speedup"/> (run times unchanged).</summary>
    public static IReadOnlyList<TraceJob> Compress(IReadOnlyList<TraceJob> jobs, double speedup)
    {
        if (!(speedup >= 1) || double.IsInfinity(speedup))
        {
            throw new ArgumentOutOfRangeException(nameof(speedup), speedup, "a speedup must be at least 1");
        }

        return speedup == 1 ? jobs : [.. jobs.Select(j => j with { Submit = TimeSpan.FromTicks((long)(j.Submit.Ticks / speedup)) })];
    }

    /// <summary>The data centers <paramref name="request"/> may use by residency, latency class and GPU model (size aside).</summary>
    public static IEnumerable<DataCenterSpec> UsableBy(JobRequest request, NationalTopology topology)
    {
        var bound = request.LatencyClass.BoundMs();
        return topology.DataCenters.Values.Where(d =>
            (request.AllowedHubs.Count == 0 || request.AllowedHubs.Contains(d.HubId))
            && !(bound is { } b && topology.LatencyMs(request.OriginHub, d) > b)
            && !(request.Gpus > 0 && request.GpuModel is { } m && d.Capacity.GpusOf(m) == 0));
    }

    /// <summary>
    /// The most of data center <paramref name="d"/> that <paramref name="request"/>'s origin hub can use for one job: all
    /// of it in its own hub; elsewhere only what a loan brings, at most the lender's lending limit and the origin's
    /// borrowing limit (a GPU model a limit does not name is not limited).
    /// </summary>
    public static ResourceVector ReachableBy(JobRequest request, DataCenterSpec d, NationalTopology topology)
    {
        if (d.HubId == request.OriginHub)
        {
            return d.Capacity;
        }

        var reach = d.Capacity;
        foreach (var limit in new[] { topology.Hubs[d.HubId].Quota?.LendingLimit, topology.Hubs.GetValueOrDefault(request.OriginHub)?.Quota?.BorrowingLimit })
        {
            if (limit is not null)
            {
                reach = new ResourceVector(
                    Math.Min(reach.CpuMillicores, limit.CpuMillicores),
                    Math.Min(reach.MemoryMiB, limit.MemoryMiB),
                    reach.Gpus.Select(g => KeyValuePair.Create(g.Key, limit.Gpus.TryGetValue(g.Key, out var n) ? Math.Min(g.Value, n) : g.Value)).ToImmutableSortedDictionary(StringComparer.Ordinal));
            }
        }

        return reach;
    }

    private static ResourceVector? Times(ResourceVector? v, double scale) => v is null
        ? null
        : new ResourceVector(
            (long)Math.Ceiling(v.CpuMillicores * scale),
            (long)Math.Ceiling(v.MemoryMiB * scale),
            v.Gpus.Select(g => KeyValuePair.Create(g.Key, (int)Math.Ceiling(g.Value * scale))).ToImmutableSortedDictionary(StringComparer.Ordinal));
}
