using System.Globalization;
using ComputeGrid.Client;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Load;

/// <summary>The replay's load options (<c>--load</c>, <c>--capacity-scale</c>, <c>--speedup</c>) turned into runs.</summary>
public static class LoadOptions
{
    /// <summary>
    /// The runs the options ask for: one per load of <paramref name="loads"/> (comma-separated); else one with the given
    /// capacity scale and speedup (each default 1). A load together with a scale or speedup is refused.
    /// </summary>
    public static List<(LoadPlan? Plan, double Scale, double Speedup)> Scenarios(
        string? loads, double? capacityScale, double? speedup, IReadOnlyList<JobRequest> requests, IReadOnlyList<TimeSpan> submits, NationalTopology topology)
    {
        if (string.IsNullOrWhiteSpace(loads))
        {
            var scale = capacityScale ?? 1;
            var compress = speedup ?? 1;
            if (!(scale > 0) || double.IsInfinity(scale))
            {
                throw new ArgumentException($"--capacity-scale must be above 0 (got {scale.ToString(CultureInfo.InvariantCulture)})");
            }

            if (!(compress >= 1) || double.IsInfinity(compress))
            {
                throw new ArgumentException($"--speedup must be at least 1 (got {compress.ToString(CultureInfo.InvariantCulture)})");
            }

            return [(null, scale, compress)];
        }

        if (capacityScale is not null || speedup is not null)
        {
            throw new ArgumentException("--load sets the capacity scale and speedup itself; give either --load or --capacity-scale/--speedup");
        }

        var runs = new List<(LoadPlan?, double, double)>();
        foreach (var item in loads.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out var target) || !(target > 0 && target <= 2))
            {
                throw new ArgumentException($"--load '{item}' is not a number above 0 and at most 2");
            }

            var plan = LoadPlan.For(target, requests, submits, topology);
            runs.Add((plan, plan.CapacityScale, plan.Speedup));
        }

        return runs;
    }

    /// <summary>The load of <paramref name="jobs"/> (as submitted, their requests in <paramref name="requests"/>) on <paramref name="topology"/>; 0 when undefined.</summary>
    public static double LoadOf(IReadOnlyList<JobRequest> requests, IReadOnlyList<TraceJob> jobs, NationalTopology topology)
    {
        var submits = jobs.Select(j => j.Submit).ToList();
        return submits.Distinct().Count() < 2 ? 0 : TraceDemand.Of(requests, submits).LoadOn(topology.TotalCapacity);
    }
}
