using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Jobs;

/// <summary>How close to its origin a job must run.</summary>
public enum LatencyClass
{
    /// <summary>Within 5 ms one-way of the origin hub.</summary>
    Interactive,

    /// <summary>Within 20 ms one-way of the origin hub (the national hub-to-hub target).</summary>
    Regional,

    /// <summary>Anywhere its allowed hubs permit.</summary>
    Batch,
}

/// <summary>
/// What a job's placement optimises once its constraints are met. Greedy policies (all but
/// <see cref="GreenestPredictive"/>) take the best data center feasible now: when their best one is full they spill to
/// the next feasible one at once, and wait only when nothing within the job's constraints has room.
/// </summary>
public enum PlacementPolicy
{
    /// <summary>Least carbon: IT energy x PUE x grid factor x (1 - green share). When the greenest data center is full, the next greenest with room, at once.</summary>
    Greenest,

    /// <summary>Least cost: energy x PUE x price + input data transfer between hubs. When the cheapest data center is full, the next cheapest with room, at once.</summary>
    Cheapest,

    /// <summary>Least latency to the origin, then the least loaded data center.</summary>
    Fastest,

    /// <summary>
    /// Carbon, cost, latency and load normalised over the candidates and weighted equally. Waiting has no weight of its
    /// own: load (the data center's utilisation) stands for it, and a full data center is not a candidate.
    /// </summary>
    Balanced,

    /// <summary>
    /// Greenest, except that a job whose greenest data center within its constraints (free capacity aside) is full waits
    /// in the queue for it when the region predicts room there within <c>ComputeGrid:PredictiveMaxWait</c> and the carbon
    /// it saves against the best place now is worth it (<c>ComputeGrid:PredictiveMinSaving</c>); otherwise, and once it
    /// has waited its bound, it takes the greenest place with room as Greenest does (<see cref="Placement.PredictiveWait"/>).
    /// </summary>
    GreenestPredictive,
}

/// <summary>What the policies share.</summary>
public static class PlacementPolicies
{
    /// <summary>The policy whose score ranks data centers for <paramref name="policy"/>: Greenest for GreenestPredictive, else itself.</summary>
    public static PlacementPolicy Ranking(this PlacementPolicy policy) =>
        policy == PlacementPolicy.GreenestPredictive ? PlacementPolicy.Greenest : policy;
}

/// <summary>Whether a waiting job may preempt others in its hub (Kueue's <c>withinClusterQueue</c>).</summary>
public enum PreemptionPolicy
{
    /// <summary>It waits for capacity to free (the default).</summary>
    Never,

    /// <summary>At the head of its hub's queue it may preempt, with notice, jobs of strictly lower priority its hub placed on its own data centers.</summary>
    LowerPriority,
}

/// <summary>The latency bounds of each <see cref="LatencyClass"/>.</summary>
public static class LatencyClasses
{
    /// <summary>The largest one-way latency in ms the class allows, or null for no bound.</summary>
    public static double? BoundMs(this LatencyClass latencyClass) => latencyClass switch
    {
        LatencyClass.Interactive => 5,
        LatencyClass.Regional => 20,
        _ => null,
    };
}

/// <summary>A job as submitted.</summary>
/// <param name="Tenant">The owner the job is accounted to.</param>
/// <param name="OriginHub">The hub where its data and users are.</param>
/// <param name="Resources">What it needs while it runs.</param>
/// <param name="RunTime">Its declared run time.</param>
/// <param name="LatencyClass">How close to the origin it must run.</param>
/// <param name="AllowedHubs">Hubs it may run in (data residency); empty means every hub.</param>
/// <param name="Priority">Higher runs first, 0..1000.</param>
/// <param name="Policy">What placement optimises.</param>
/// <param name="InputDataGiB">Input data in GiB that moves when the job runs outside its origin hub; 0 if none.</param>
/// <param name="Command">What an agent runs; null for a simulated job that takes its run time. With a command, <paramref name="RunTime"/> is the wall-time limit.</param>
/// <param name="ArrayId">The job array this job is an element of; null for a job submitted on its own.</param>
/// <param name="ArrayIndex">The element's index in its array, 0..size-1; 0 for a job that is no element.</param>
/// <param name="MaxPriceCny">The most the job may cost at list prices for its declared run time, CNY; placement rules out data centers above it. Null for no cap.</param>
/// <param name="DependsOn">Jobs and arrays of the same tenant it waits for (Slurm's <c>--dependency</c>); null or empty for none.</param>
/// <param name="Preemption">Whether it may preempt lower-priority jobs of its hub when it cannot be placed.</param>
/// <param name="Gang">For a gang's queue entry or one of its members: the gang (<see cref="JobGang"/>); null for any other job.</param>
/// <param name="Reservation">The advance reservation of its tenant it runs in (Slurm's <c>--reservation</c>): it waits for the window, then is placed inside the reservation's capacity. Null for none.</param>
public sealed record JobSpec(
    string Tenant,
    string OriginHub,
    ResourceRequest Resources,
    TimeSpan RunTime,
    LatencyClass LatencyClass,
    IReadOnlyList<string> AllowedHubs,
    int Priority,
    PlacementPolicy Policy,
    double InputDataGiB = 0,
    JobCommand? Command = null,
    string? ArrayId = null,
    int ArrayIndex = 0,
    decimal? MaxPriceCny = null,
    IReadOnlyList<JobDependency>? DependsOn = null,
    PreemptionPolicy Preemption = PreemptionPolicy.Never,
    JobGang? Gang = null,
    string? Reservation = null)
{
    /// <summary>True when the job may run in <paramref name="hubId"/> (data residency).</summary>
    public bool Allows(string hubId) => AllowedHubs.Count == 0 || AllowedHubs.Contains(hubId, StringComparer.Ordinal);

    /// <summary>True when the job waits for other jobs before it may be placed.</summary>
    public bool HasDependencies => DependsOn is { Count: > 0 };

    /// <summary>True for a member of a gang: it is placed, restarted and ended only with its gang, never on its own.</summary>
    public bool IsGangMember => Gang is { Member: not null };

    /// <summary>True for a gang's own queue entry, which stands for all its members.</summary>
    public bool IsWholeGang => Gang is { Member: null };
}

/// <summary>
/// What a job spec says about the gang it belongs to. The gang's queue entry carries it with no member (it stands for all
/// of them, <see cref="Members"/> times the spec's resources); each member's spec carries its index.
/// </summary>
/// <param name="GangId">The gang.</param>
/// <param name="Members">How many members the gang has.</param>
/// <param name="Attempt">Which placement of the gang this is: 0 first, one more after each restart or requeue.</param>
/// <param name="Member">The member's index, 0..members-1; null for the gang as a whole.</param>
public sealed record JobGang(string GangId, int Members, int Attempt, int? Member = null);
