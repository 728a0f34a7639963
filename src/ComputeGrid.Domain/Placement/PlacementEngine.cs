using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Market;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Placement;

/// <summary>What placement knows of a data center right now (possibly stale; the data center has the last word).</summary>
/// <param name="Spec">Its static description.</param>
/// <param name="Status">Whether it takes new work.</param>
/// <param name="Free">Its free capacity as last seen.</param>
/// <param name="CommandTenants">Tenants whose commands its agents run (<c>*</c>: every tenant); null when it has no agent.</param>
/// <param name="Prices">Its owner's list prices; null for the defaults (<see cref="ListPrices.Default"/>).</param>
public sealed record CandidateState(DataCenterSpec Spec, DataCenterStatus Status, ResourceVector Free, IReadOnlyCollection<string>? CommandTenants = null, PriceList? Prices = null)
{
    /// <summary>Every tenant, in <see cref="CommandTenants"/>.</summary>
    public const string AnyTenant = "*";

    /// <summary>True when the job can run here as far as its command goes: it has none, or an agent here runs its tenant's commands.</summary>
    public bool CanRun(JobSpec job) => job.Command is null || RunsCommandsOf(CommandTenants, job.Tenant);

    /// <summary>True when <paramref name="tenants"/> (an agent allow-list) admits <paramref name="tenant"/>.</summary>
    public static bool RunsCommandsOf(IReadOnlyCollection<string>? tenants, string tenant) =>
        tenants is not null && (tenants.Contains(AnyTenant) || tenants.Contains(tenant));
}

/// <summary>A feasible data center with its score (lower is better) and the numbers behind it.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="LatencyMs">One-way latency from the job's origin, ms.</param>
/// <param name="Estimate">The job's estimated footprint there.</param>
/// <param name="Utilisation">Its dominant-resource utilisation before this job, 0..1.</param>
/// <param name="Score">The policy's score; lower wins.</param>
public sealed record ScoredCandidate(string DataCenterId, string HubId, double LatencyMs, Footprint Estimate, double Utilisation, double Score);

/// <summary>Why a data center was ruled out for a job.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="Constraint">The constraint that ruled it out: status, agent, residency, latency, gpuModel, size, price or capacity.</param>
/// <param name="Detail">The numbers, in a sentence.</param>
public sealed record RuledOut(string DataCenterId, string HubId, string Constraint, string Detail);

/// <summary>A placement decision's inputs for one job: feasible candidates best first, and the rest with reasons.</summary>
/// <param name="Policy">The policy that ranked them.</param>
/// <param name="Ranked">Feasible now, best first.</param>
/// <param name="Excluded">Ruled out, with the constraint.</param>
public sealed record PlacementPlan(PlacementPolicy Policy, IReadOnlyList<ScoredCandidate> Ranked, IReadOnlyList<RuledOut> Excluded)
{
    /// <summary>
    /// Why <paramref name="chosen"/> won, in a sentence that names the policy, the deciding number and the runner-up, and
    /// how many data centers of the plan (the pool, for a plan over the pool) are feasible.
    /// </summary>
    public string ReasonFor(ScoredCandidate chosen) => Reason(Policy, chosen, Ranked, Ranked.Count, Ranked.Count + Excluded.Count);

    /// <summary>
    /// The sentence of <see cref="ReasonFor"/> from the head of a ranking: the runner-up is the first of
    /// <paramref name="ranked"/> that is not <paramref name="chosen"/>.
    /// </summary>
    internal static string Reason(PlacementPolicy policy, ScoredCandidate chosen, IEnumerable<ScoredCandidate> ranked, int feasible, int total)
    {
        var runnerUp = ranked.FirstOrDefault(c => c.DataCenterId != chosen.DataCenterId);
        var (what, value) = policy.Ranking() switch
        {
            PlacementPolicy.Greenest => ("lowest carbon", (Func<ScoredCandidate, string>)(c => Quantity.Carbon(c.Estimate.CarbonKg))),
            PlacementPolicy.Cheapest => ("lowest cost", c => Quantity.Cost(c.Estimate.CostCny)),
            PlacementPolicy.Fastest => ("lowest latency", c => Quantity.Latency(c.LatencyMs)),
            _ => ("best balance of carbon, cost, latency and load", c => $"score {Quantity.Number(c.Score)}"),
        };
        // The ranking may hold only what the origin region can use (its own hub and its loans) while the count is the pool's.
        var versus = runnerUp is not null ? $"next {runnerUp.DataCenterId} {value(runnerUp)}"
            : feasible > 1 ? "the only one of them its origin hub can use now, on its own capacity or a loan"
            : "the only feasible data center";
        return $"{policy}: {what} {value(chosen)} ({versus}); {feasible} of {total} data centers in the pool feasible";
    }
}

/// <summary>
/// The head of a placement ranking, what a placement attempt needs of <see cref="PlacementPlan"/> without the whole of
/// it: the first candidates, best first, and how many were feasible of how many considered.
/// </summary>
/// <param name="Policy">The policy that ranked them.</param>
/// <param name="Ranked">The first of the ranking, best first: as many as asked for and at least two when two are feasible (the runner-up of the reason).</param>
/// <param name="Feasible">How many data centers of the pool are feasible for the job now, by their free capacity or a loan slice's room (<see cref="PlacementEngine.CountInPool"/>).</param>
/// <param name="Total">How many data centers the pool has.</param>
public sealed record PlacementShortlist(PlacementPolicy Policy, IReadOnlyList<ScoredCandidate> Ranked, int Feasible, int Total)
{
    /// <summary>The sentence <see cref="PlacementPlan.ReasonFor"/> gives for <paramref name="chosen"/>, one of <see cref="Ranked"/>.</summary>
    public string ReasonFor(ScoredCandidate chosen) => PlacementPlan.Reason(Policy, chosen, Ranked, Feasible, Total);

    /// <summary>The head of <paramref name="plan"/>: its first <paramref name="count"/> candidates (at least two) and its counts (a plan over the pool's).</summary>
    public static PlacementShortlist Of(PlacementPlan plan, int count) =>
        new(plan.Policy, [.. plan.Ranked.Take(Math.Max(count, 2))], plan.Ranked.Count, plan.Ranked.Count + plan.Excluded.Count);
}

/// <summary>
/// Ranks data centers for a job. Constraints first (status, data residency, latency class, GPU model, size, price cap,
/// free capacity), then the policy's score. Ties go to the origin's own hub, then lower latency, then id, so that the
/// origin region's own capacity is used first.
/// </summary>
public static class PlacementEngine
{
    /// <summary>Scores closer than this, relative to the first (at least 1), tie and go to the tie-breaks.</summary>
    internal const double TieEpsilon = 1e-9;

    /// <summary>Ranks <paramref name="candidates"/> for <paramref name="job"/>.</summary>
    public static PlacementPlan Plan(JobSpec job, NationalTopology topology, IEnumerable<CandidateState> candidates)
    {
        var excluded = new List<RuledOut>();
        var scored = Score(job.Policy.Ranking(), Feasible(job, topology, candidates, excluded)).ToList();
        scored.Sort((a, b) => Compare(job, a, b));
        return new PlacementPlan(job.Policy, scored, excluded);
    }

    /// <summary>
    /// The first of <see cref="Plan"/>'s ranking, without the ranking: no sort and no sentence for each data center ruled
    /// out. For callers that only need the winner (is the job's best place at home?), at a fraction of the cost.
    /// </summary>
    public static ScoredCandidate? Best(JobSpec job, NationalTopology topology, IEnumerable<CandidateState> candidates)
    {
        ScoredCandidate? best = null;
        foreach (var candidate in Score(job.Policy.Ranking(), Feasible(job, topology, candidates, excluded: null)))
        {
            if (best is null || Compare(job, candidate, best) < 0)
            {
                best = candidate;
            }
        }

        return best;
    }

    /// <summary>
    /// Why the job can never run anywhere in the pool, whatever frees up: no data center within its constraints is large
    /// enough (or has its GPU model at all). Null when some data center could run it once it has room.
    /// </summary>
    public static ValidationError? WhyNeverFits(JobSpec job, NationalTopology topology, IEnumerable<DataCenterSpec> dataCenters)
    {
        var bound = job.LatencyClass.BoundMs();
        var all = dataCenters.ToList();
        var allowed = all.Where(d => job.Allows(d.HubId)).ToList();
        if (allowed.Count == 0)
        {
            return new ValidationError("allowedHubs", "no data center is in any allowed hub");
        }

        var near = allowed.Where(d => bound is not { } b || topology.LatencyMs(job.OriginHub, d) <= b).ToList();
        if (near.Count == 0)
        {
            var nearest = allowed.Min(d => topology.LatencyMs(job.OriginHub, d));
            return new ValidationError(
                "latencyClass",
                $"no allowed data center is within {bound} ms of {job.OriginHub} for class {job.LatencyClass} (nearest is {Quantity.Latency(nearest)})");
        }

        if (job.Resources.EffectiveGpuModel is { } model)
        {
            if (!near.Any(d => d.Capacity.GpusOf(model) > 0))
            {
                return new ValidationError("resources.gpuModel", $"no allowed data center within the latency class has GPU model '{model}'");
            }

            var most = near.Max(d => d.Capacity.GpusOf(model));
            if (most < job.Resources.Gpus)
            {
                return new ValidationError("resources.gpus", $"{job.Resources.Gpus} GPUs of model '{model}' exceed the largest allowed data center ({most})");
            }
        }

        if (near.Any(d => d.Capacity.Fits(job.Resources)))
        {
            return null;
        }

        var largestCpu = near.Max(d => d.Capacity.CpuMillicores);
        if (largestCpu < job.Resources.CpuMillicores)
        {
            return new ValidationError("resources.cpuMillicores", $"{job.Resources.CpuMillicores} millicores exceed the largest allowed data center ({largestCpu})");
        }

        var largestMemory = near.Max(d => d.Capacity.MemoryMiB);
        return largestMemory < job.Resources.MemoryMiB
            ? new ValidationError("resources.memoryMiB", $"{job.Resources.MemoryMiB} MiB exceed the largest allowed data center ({largestMemory})")
            : new ValidationError("resources", "no single allowed data center has all of the requested resources");
    }

    private static List<(CandidateState State, double LatencyMs, Footprint Estimate, double Utilisation)> Feasible(
        JobSpec job, NationalTopology topology, IEnumerable<CandidateState> candidates, List<RuledOut>? excluded)
    {
        var feasible = new List<(CandidateState State, double LatencyMs, Footprint Estimate, double Utilisation)>();
        var bound = job.LatencyClass.BoundMs();
        foreach (var candidate in candidates)
        {
            var spec = candidate.Spec;
            var latency = topology.LatencyMs(job.OriginHub, spec);
            if (excluded is null ? !Fits(job, candidate, latency, bound, topology) : RuleOut(job, candidate, latency, bound, topology) is { } reason && Exclude(excluded, spec, reason))
            {
                continue;
            }

            feasible.Add((candidate, latency, EstimateAt(job, topology, spec), UtilisationOf(candidate)));
        }

        return feasible;
    }

    private static bool Exclude(List<RuledOut> excluded, DataCenterSpec spec, (string Constraint, string Detail) reason)
    {
        excluded.Add(new RuledOut(spec.Id, spec.HubId, reason.Constraint, reason.Detail));
        return true;
    }

    /// <summary>The job's footprint at <paramref name="spec"/>: input data moves (and costs) only outside the origin hub.</summary>
    internal static Footprint EstimateAt(JobSpec job, NationalTopology topology, DataCenterSpec spec) =>
        FootprintCalculator.Of(job.Resources, job.RunTime, spec.Energy, topology.Power, spec.HubId == job.OriginHub ? 0 : job.InputDataGiB, topology.TransferCnyPerGiB);

    /// <summary>The candidate's dominant-resource utilisation before the job, 0..1.</summary>
    internal static double UtilisationOf(CandidateState candidate) =>
        candidate.Spec.Capacity.Minus(candidate.Free).DominantShareOf(candidate.Spec.Capacity);

    /// <summary>The score of every policy but Balanced, which needs the whole feasible set: one data center's numbers suffice.</summary>
    internal static double ScoreOf(PlacementPolicy policy, double latencyMs, Footprint estimate, double utilisation) => policy.Ranking() switch
    {
        PlacementPolicy.Greenest => estimate.CarbonKg,
        PlacementPolicy.Cheapest => estimate.CostCny,
        PlacementPolicy.Fastest => latencyMs + (utilisation * 1e-3),
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "Balanced scores over the whole feasible set"),
    };

    /// <summary>Lower score first; ties to the origin's own hub, then lower latency, then id.</summary>
    internal static int Compare(JobSpec job, ScoredCandidate a, ScoredCandidate b)
    {
        var byScore = Math.Abs(a.Score - b.Score) <= TieEpsilon * Math.Max(1, Math.Abs(a.Score)) ? 0 : a.Score.CompareTo(b.Score);
        if (byScore != 0)
        {
            return byScore;
        }

        var byHome = (a.HubId == job.OriginHub ? 0 : 1).CompareTo(b.HubId == job.OriginHub ? 0 : 1);
        if (byHome != 0)
        {
            return byHome;
        }

        var byLatency = a.LatencyMs.CompareTo(b.LatencyMs);
        return byLatency != 0 ? byLatency : string.CompareOrdinal(a.DataCenterId, b.DataCenterId);
    }

    /// <summary>
    /// What a placement reason counts (<see cref="PlacementShortlist"/>): the data centers of <paramref name="pool"/> and
    /// <paramref name="slices"/> (loan slices of pool data centers, scored as their room) by id, and how many of them are
    /// feasible for <paramref name="job"/> by their own free capacity or by a slice's room, each counted once.
    /// </summary>
    public static (int Feasible, int Total) CountInPool(JobSpec job, NationalTopology topology, IEnumerable<CandidateState> pool, IEnumerable<CandidateState> slices)
    {
        var bound = job.LatencyClass.BoundMs();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var feasible = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in pool.Concat(slices))
        {
            ids.Add(candidate.Spec.Id);
            if (Fits(job, candidate, topology.LatencyMs(job.OriginHub, candidate.Spec), bound, topology))
            {
                feasible.Add(candidate.Spec.Id);
            }
        }

        return (feasible.Count, ids.Count);
    }

    /// <summary>The same rules as <see cref="RuleOut"/>, without building the sentence that explains a failure.</summary>
    internal static bool Fits(JobSpec job, CandidateState candidate, double latencyMs, double? bound, NationalTopology topology)
    {
        var spec = candidate.Spec;
        return candidate.Status == DataCenterStatus.Online
            && candidate.CanRun(job)
            && job.Allows(spec.HubId)
            && !(bound is { } b && latencyMs > b)
            && !(job.Resources.EffectiveGpuModel is { } model && spec.Capacity.GpusOf(model) == 0)
            && spec.Capacity.Fits(job.Resources)
            && !(job.MaxPriceCny is { } cap && PriceAt(job, candidate, topology) > cap)
            && candidate.Free.Fits(job.Resources);
    }

    /// <summary>
    /// The job's price at <paramref name="candidate"/> for its declared run time at the data center's list prices, plus its
    /// input data moved when the data center is outside the origin hub, CNY (<see cref="Metering.PriceOf"/>).
    /// </summary>
    public static decimal PriceAt(JobSpec job, CandidateState candidate, NationalTopology topology) =>
        Metering.PriceOf(
            job.Resources,
            job.RunTime,
            ListPrices.Effective(candidate.Prices, candidate.Spec, topology.Power),
            candidate.Spec.HubId == job.OriginHub ? 0 : job.InputDataGiB,
            (decimal)topology.TransferCnyPerGiB);

    /// <summary>
    /// The cheapest data center (and its price) that could ever run the job, whatever its cap: in an allowed hub, within the
    /// latency class, with the GPU model and the size, and not removed; status and free capacity aside. Null when none.
    /// </summary>
    public static (string DataCenterId, decimal PriceCny)? Cheapest(JobSpec job, NationalTopology topology, IEnumerable<CandidateState> candidates)
    {
        var bound = job.LatencyClass.BoundMs();
        (string, decimal)? best = null;
        foreach (var c in candidates.OrderBy(c => c.Spec.Id, StringComparer.Ordinal))
        {
            var spec = c.Spec;
            if (!job.Allows(spec.HubId)
                || (bound is { } b && topology.LatencyMs(job.OriginHub, spec) > b)
                || (job.Resources.EffectiveGpuModel is { } model && spec.Capacity.GpusOf(model) == 0)
                || !spec.Capacity.Fits(job.Resources))
            {
                continue;
            }

            var price = PriceAt(job, c, topology);
            if (best is not { } known || price < known.Item2)
            {
                best = (spec.Id, price);
            }
        }

        return best;
    }

    /// <summary>
    /// Why the job can never run under its price cap: no data center that could run it (<see cref="Cheapest"/>) charges
    /// <c>maxPriceCny</c> or less. The error names the field and the cheapest price. Null without a cap, or when one does.
    /// </summary>
    public static ValidationError? WhyOverCap(JobSpec job, NationalTopology topology, IEnumerable<CandidateState> candidates) =>
        job.MaxPriceCny is { } cap && Cheapest(job, topology, candidates) is { } cheapest && cheapest.PriceCny > cap
            ? new ValidationError(
                "maxPriceCny",
                $"no data center that can run the job charges {Money.Cny(cap)} or less for it; the cheapest available is {Money.Cny(cheapest.PriceCny)} at {cheapest.DataCenterId}")
            : null;

    private static (string Constraint, string Detail)? RuleOut(JobSpec job, CandidateState candidate, double latencyMs, double? bound, NationalTopology topology)
    {
        var spec = candidate.Spec;
        if (candidate.Status != DataCenterStatus.Online)
        {
            return ("status", $"{spec.Id} is {candidate.Status} and takes no new work");
        }

        if (!candidate.CanRun(job))
        {
            return ("agent", candidate.CommandTenants is null ? $"{spec.Id} has no agent to run commands" : $"no agent at {spec.Id} runs commands of tenant {job.Tenant}");
        }

        if (!job.Allows(spec.HubId))
        {
            return ("residency", $"hub {spec.HubId} is not in allowedHubs");
        }

        if (bound is { } b && latencyMs > b)
        {
            return ("latency", $"{Quantity.Latency(latencyMs)} from {job.OriginHub} exceeds the {job.LatencyClass} bound of {b} ms");
        }

        if (job.Resources.EffectiveGpuModel is { } model && spec.Capacity.GpusOf(model) == 0)
        {
            return ("gpuModel", $"has no {model} GPUs");
        }

        if (!spec.Capacity.Fits(job.Resources))
        {
            return ("size", $"capacity {spec.Capacity} is smaller than the request {job.Resources}");
        }

        if (job.MaxPriceCny is { } cap && PriceAt(job, candidate, topology) is var price && price > cap)
        {
            return ("price", $"price {Money.Cny(price)} exceeds maxPriceCny {Money.Cny(cap)}");
        }

        if (!candidate.Free.Fits(job.Resources))
        {
            return ("capacity", $"free {candidate.Free} cannot hold {job.Resources} now");
        }

        return null;
    }

    private static IEnumerable<ScoredCandidate> Score(
        PlacementPolicy policy,
        List<(CandidateState State, double LatencyMs, Footprint Estimate, double Utilisation)> feasible)
    {
        if (feasible.Count == 0)
        {
            yield break;
        }

        var maxCarbon = Math.Max(feasible.Max(f => f.Estimate.CarbonKg), double.Epsilon);
        var maxCost = Math.Max(feasible.Max(f => f.Estimate.CostCny), double.Epsilon);
        var maxLatency = Math.Max(feasible.Max(f => f.LatencyMs), double.Epsilon);
        foreach (var (state, latency, estimate, utilisation) in feasible)
        {
            var score = policy is PlacementPolicy.Greenest or PlacementPolicy.Cheapest or PlacementPolicy.Fastest
                ? ScoreOf(policy, latency, estimate, utilisation)
                : ((estimate.CarbonKg / maxCarbon) + (estimate.CostCny / maxCost) + (latency / maxLatency) + utilisation) / 4;
            yield return new ScoredCandidate(state.Spec.Id, state.Spec.HubId, latency, estimate, utilisation, score);
        }
    }
}
