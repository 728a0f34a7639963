using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Loans;

/// <summary>What a borrower asks its peers for, covering some waiting jobs.</summary>
/// <param name="Amount">The jobs' resources summed, within the borrowing room.</param>
/// <param name="Term">The longest job's run time times the term factor, within the bounds.</param>
/// <param name="MaxLatencyMs">The strictest latency bound among the jobs; null when none has one.</param>
/// <param name="Policy">The policy most of the jobs follow (ties: the first job's).</param>
/// <param name="Jobs">How many waiting jobs it covers.</param>
public sealed record BorrowDemand(ResourceVector Amount, TimeSpan Term, double? MaxLatencyMs, PlacementPolicy Policy, int Jobs)
{
    /// <summary>The part of <see cref="Amount"/> asked for jobs still to come (<see cref="BorrowPlanner.WithForecast"/>); zero when none.</summary>
    public ResourceVector Forecast { get; init; } = ResourceVector.Zero;
}

/// <summary>When and for what a hub borrows.</summary>
public static class BorrowPlanner
{
    /// <summary>
    /// The hub a job should borrow from, or null. It is the hub of the job's best feasible data center in the whole pool
    /// (capacity as last seen), among the origin's own data centers and those of hubs <paramref name="mayAsk"/> allows,
    /// when that hub is not the origin and the borrower has no loan room there yet (<paramref name="bestWithLoans"/> is the
    /// best place the borrower can use now: its own capacity or its loans).
    /// </summary>
    public static string? WantsLoanFrom(
        JobSpec job,
        NationalTopology topology,
        IEnumerable<CandidateState> pool,
        ScoredCandidate? bestWithLoans,
        Func<string, bool> mayAsk)
    {
        var ideal = PlacementEngine.Best(job, topology, pool.Where(c => c.Spec.HubId == job.OriginHub || mayAsk(c.Spec.HubId)));
        return WantsLoanFrom(job, ideal, bestWithLoans);
    }

    /// <summary>
    /// The same decision given <paramref name="ideal"/>, the job's best feasible data center among the origin's own and
    /// those of the hubs it may ask (as <see cref="CandidateIndex.Best"/> finds it without scanning the pool).
    /// </summary>
    public static string? WantsLoanFrom(JobSpec job, ScoredCandidate? ideal, ScoredCandidate? bestWithLoans) =>
        ideal is null || ideal.HubId == job.OriginHub || bestWithLoans?.HubId == ideal.HubId ? null : ideal.HubId;

    /// <summary>True when some data center of <paramref name="hubId"/> could ever run the job (constraints and size, not free capacity).</summary>
    public static bool CouldRunIn(JobSpec job, NationalTopology topology, string hubId) =>
        job.Allows(hubId) && PlacementEngine.WhyNeverFits(job, topology, topology.DataCentersOf(hubId)) is null;

    /// <summary>
    /// The demand of <paramref name="jobs"/> (in queue order, at most <paramref name="maxJobs"/> of them and only as many as
    /// fit the borrowing room); null when not even the first fits.
    /// </summary>
    public static BorrowDemand? Demand(IEnumerable<JobSpec> jobs, int maxJobs, ResourceVector? room, double termFactor, TimeSpan minTerm, TimeSpan maxTerm)
    {
        var taken = new List<JobSpec>();
        var amount = ResourceVector.Zero;
        foreach (var job in jobs.Take(maxJobs))
        {
            var next = amount.Plus(job.Resources);
            if (room is { } r && !QuotaMath.WithinLimit(next, r))
            {
                continue;
            }

            taken.Add(job);
            amount = next;
        }

        if (taken.Count == 0)
        {
            return null;
        }

        var longest = taken.Max(j => j.RunTime);
        var term = TimeSpan.FromTicks(Math.Clamp((long)(longest.Ticks * termFactor), minTerm.Ticks, maxTerm.Ticks));
        var bounds = taken.Select(j => j.LatencyClass.BoundMs()).Where(b => b is not null).Select(b => b!.Value).ToList();
        var policy = taken.GroupBy(j => j.Policy).OrderByDescending(g => g.Count()).ThenBy(g => taken.FindIndex(j => j.Policy == g.Key)).First().Key;
        return new BorrowDemand(amount, term, bounds.Count == 0 ? null : bounds.Min(), policy, taken.Count);
    }

    /// <summary>
    /// The loan's size: the waiting jobs' <paramref name="demand"/> plus what recent arrivals predict beyond the room that
    /// open loans from the same peers still have (<paramref name="forecast"/> minus <paramref name="openRoom"/>, never below
    /// zero), the added part within what the borrowing room leaves after the waiting jobs (null: no borrowing limit). GPUs
    /// are added only of the models the waiting jobs ask for: a GPU is scarce, and a loan holds it from every other
    /// borrower and from the lender's own jobs.
    /// </summary>
    public static BorrowDemand WithForecast(BorrowDemand demand, ResourceVector forecast, ResourceVector openRoom, ResourceVector? room)
    {
        var wanted = ResourceVector.Of(forecast.CpuMillicores, forecast.MemoryMiB, forecast.Gpus.Where(g => demand.Amount.GpusOf(g.Key) > 0));
        var extra = QuotaMath.ClipAtZero(wanted.Minus(QuotaMath.ClipAtZero(openRoom)));
        if (room is { } r)
        {
            extra = QuotaMath.CapByLimit(extra, QuotaMath.Consume(r, demand.Amount));
        }

        return extra.Equals(ResourceVector.Zero) ? demand : demand with { Amount = demand.Amount.Plus(extra), Forecast = extra };
    }
}
