using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Market;

/// <summary>One way a quoted job could be placed.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="PriceCny">The job's price there for its declared run time, CNY.</param>
/// <param name="EstimatedStart">Now when it has room now; null when it waits for capacity.</param>
/// <param name="CarbonKg">Estimated carbon, kgCO2.</param>
/// <param name="EnergyKwh">Estimated facility energy, kWh.</param>
/// <param name="PflopsHoursFp16">FP16 PFLOPS-hours of its declared run.</param>
/// <param name="LatencyMs">One-way latency from its origin, ms.</param>
/// <param name="Rank">Its rank under the policy among those feasible now (1 = the choice); null when it waits.</param>
public sealed record QuotedPlacement(string DataCenterId, string HubId, decimal PriceCny, DateTimeOffset? EstimatedStart, double CarbonKg, double EnergyKwh, double PflopsHoursFp16, double LatencyMs, int? Rank);

/// <summary>A quote's content: the placements, the policy's choice and why, and what was ruled out.</summary>
/// <param name="Options">Feasible now, in the policy's order, then those waiting for capacity, cheapest first.</param>
/// <param name="Choice">The policy's choice now; null when nothing is feasible now.</param>
/// <param name="Reason">The placement engine's sentence for the choice, or why there is none.</param>
/// <param name="Excluded">Ruled out for good now (not for capacity), with the constraint.</param>
public sealed record QuotePlan(IReadOnlyList<QuotedPlacement> Options, string? Choice, string Reason, IReadOnlyList<RuledOut> Excluded);

/// <summary>Quotes and the catalog from the same placement engine, prices and footprint arithmetic placement and bills use.</summary>
public static class Quoting
{
    /// <summary>
    /// The quote of <paramref name="job"/> over <paramref name="candidates"/> at <paramref name="now"/>: every data center
    /// the engine finds feasible now (starts now), ranked by the job's policy, and every one ruled out only by its free
    /// capacity (starts when capacity frees), each with its price, carbon and PFLOPS-hours.
    /// </summary>
    public static QuotePlan Quote(JobSpec job, NationalTopology topology, IReadOnlyCollection<CandidateState> candidates, DateTimeOffset now)
    {
        var plan = PlacementEngine.Plan(job, topology, candidates);
        var byId = candidates.ToDictionary(c => c.Spec.Id, StringComparer.Ordinal);
        var pflops = ListPrices.UnitsOf(job.Resources).Sum(u => FlopsTable.PflopsHours(u.Product, u.Units * Money.Hours(job.RunTime)).Fp16);
        var options = new List<QuotedPlacement>();
        var rank = 0;
        foreach (var r in plan.Ranked)
        {
            options.Add(new(r.DataCenterId, r.HubId, PlacementEngine.PriceAt(job, byId[r.DataCenterId], topology), now, r.Estimate.CarbonKg, r.Estimate.EnergyKwh, pflops, r.LatencyMs, ++rank));
        }

        var waiting = plan.Excluded.Where(x => x.Constraint == "capacity").Select(x => byId[x.DataCenterId]).Select(c =>
        {
            var estimate = PlacementEngine.EstimateAt(job, topology, c.Spec);
            return new QuotedPlacement(c.Spec.Id, c.Spec.HubId, PlacementEngine.PriceAt(job, c, topology), null, estimate.CarbonKg, estimate.EnergyKwh, pflops, topology.LatencyMs(job.OriginHub, c.Spec), null);
        });
        options.AddRange(waiting.OrderBy(o => o.PriceCny).ThenBy(o => o.DataCenterId, StringComparer.Ordinal));
        var excluded = plan.Excluded.Where(x => x.Constraint != "capacity").ToList();
        if (plan.Ranked.Count > 0)
        {
            return new QuotePlan(options, plan.Ranked[0].DataCenterId, plan.ReasonFor(plan.Ranked[0]), excluded);
        }

        var why = plan.Excluded.GroupBy(x => x.Constraint).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
        return new QuotePlan(options, null, $"no data center is feasible now ({string.Join(", ", why)})", excluded);
    }

    /// <summary>The tightest latency class a job gets at <paramref name="latencyMs"/> one-way from its origin.</summary>
    public static LatencyClass LatencyClassAt(double latencyMs) =>
        latencyMs <= LatencyClass.Interactive.BoundMs() ? LatencyClass.Interactive
        : latencyMs <= LatencyClass.Regional.BoundMs() ? LatencyClass.Regional
        : LatencyClass.Batch;
}
