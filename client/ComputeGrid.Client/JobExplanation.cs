using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Regions;

namespace ComputeGrid.Client;

/// <summary>Why a job waits or runs where it does.</summary>
/// <param name="Job">The job as its record holds it.</param>
/// <param name="Region">
/// Its origin region's answer: every data center of the region's view of the pool, the feasible ones ranked by the job's
/// policy (lower score wins) with how the region reaches them, the others with the constraint that rules them out, and a
/// summary that agrees with the job's state.
/// </param>
public sealed record JobExplanation(JobSnapshot Job, RegionExplanation Region);
