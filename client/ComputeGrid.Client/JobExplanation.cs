using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Client;

/// <summary>Why a job waits or runs where it does: its snapshot and the placement plan for its specification over the pool now.</summary>
/// <param name="Job">The job now.</param>
/// <param name="Plan">Every data center of the pool now: feasible ones ranked by the job's policy (lower score wins), the others with the constraint that ruled them out.</param>
public sealed record JobExplanation(JobSnapshot Job, PlacementPlan Plan);

/// <summary>Operators' diagnosis of placement (what HTCondor users know as better-analyze).</summary>
public static class JobExplainer
{
    /// <summary>
    /// Runs the placement engine for the job's specification over the pool's data centers as they are now (status and free
    /// capacity from <see cref="IComputeGridClient.GetPoolAsync"/>). A job that holds capacity is explained against the pool
    /// with its own reservation given back, so its own data center is not ruled out by its own use. Loans are not
    /// considered: a peer's data center the origin could use only under a loan is shown as its score says.
    /// </summary>
    /// <param name="client">The SDK.</param>
    /// <param name="jobId">The job.</param>
    /// <param name="topology">The pool's topology (hubs, latency and power models); the data centers come from the live pool.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ComputeGridNotFoundException">No such job.</exception>
    public static async Task<JobExplanation> ExplainJobAsync(this IComputeGridClient client, string jobId, NationalTopology topology, CancellationToken cancellationToken = default)
    {
        var job = await client.GetJobAsync(jobId, cancellationToken);
        var pool = await client.GetPoolAsync(cancellationToken);
        var holds = job.State.HoldsCapacity() && job.Placement is not null;
        var candidates = pool.Hubs.SelectMany(h => h.DataCenters).Select(d => new CandidateState(
            d.Spec,
            d.Status,
            holds && d.Spec.Id == job.Placement!.DataCenterId ? d.Free.Plus(job.Spec.Resources) : d.Free));
        return new JobExplanation(job, PlacementEngine.Plan(job.Spec, topology, candidates));
    }
}
