using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Contracts.Regions;

/// <summary>A feasible data center for a job, as its origin region ranks it now.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="Score">The policy's score; lower wins.</param>
/// <param name="LatencyMs">One-way latency from the job's origin hub, ms.</param>
/// <param name="Utilisation">Its dominant-resource utilisation as the region last saw it, 0..1.</param>
/// <param name="Estimate">The job's estimated footprint there.</param>
/// <param name="Route">How the origin reaches it: its own capacity, an open loan with room, or a loan it would need.</param>
[GenerateSerializer, Immutable, Alias("cg.ExplainedCandidate")]
public sealed record ExplainedCandidate(
    [property: Id(0)] string DataCenterId,
    [property: Id(1)] string HubId,
    [property: Id(2)] double Score,
    [property: Id(3)] double LatencyMs,
    [property: Id(4)] double Utilisation,
    [property: Id(5)] Footprint Estimate,
    [property: Id(6)] string Route);

/// <summary>A data center ruled out for a job, with the constraint.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="Constraint">status, agent, residency, latency, gpuModel, size or capacity.</param>
/// <param name="Detail">The numbers, in a sentence.</param>
[GenerateSerializer, Immutable, Alias("cg.ExplainedExclusion")]
public sealed record ExplainedExclusion(
    [property: Id(0)] string DataCenterId,
    [property: Id(1)] string HubId,
    [property: Id(2)] string Constraint,
    [property: Id(3)] string Detail);

/// <summary>The answer of <see cref="IRegionGrain.ExplainAsync"/>: the job's placement as the region that decides it sees it.</summary>
/// <param name="HubId">The region that answered (the job's origin).</param>
/// <param name="Policy">The policy that ranks the feasible data centers.</param>
/// <param name="Summary">Why the job is where it is, in a sentence that agrees with its state.</param>
/// <param name="Ranked">Feasible now, best first.</param>
/// <param name="Excluded">Ruled out now, with the constraint.</param>
[GenerateSerializer, Immutable, Alias("cg.RegionExplanation")]
public sealed record RegionExplanation(
    [property: Id(0)] string HubId,
    [property: Id(1)] PlacementPolicy Policy,
    [property: Id(2)] string Summary,
    [property: Id(3)] IReadOnlyList<ExplainedCandidate> Ranked,
    [property: Id(4)] IReadOnlyList<ExplainedExclusion> Excluded);
