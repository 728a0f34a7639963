using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace ComputeGrid.Gateway.Jobs;

/// <summary>A feasible data center for a job and its score.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="Score">The policy's score; lower wins.</param>
/// <param name="LatencyMs">One-way latency from the job's origin hub, ms.</param>
/// <param name="Utilisation">Its dominant-resource utilisation as the origin region last saw it, 0..1.</param>
/// <param name="Estimate">The job's estimated energy (kWh), carbon (kgCO2) and cost (CNY) there.</param>
/// <param name="Route">How the origin region reaches it: its own capacity, an open loan with room, or a loan it would need.</param>
public sealed record RankedView(string DataCenterId, string HubId, double Score, double LatencyMs, double Utilisation, FootprintView Estimate, string Route);

/// <summary>A data center ruled out for a job.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="Constraint">status, residency, latency, gpuModel, size or capacity.</param>
/// <param name="Detail">The numbers, in a sentence.</param>
public sealed record ExcludedView(string DataCenterId, string HubId, string Constraint, string Detail);

/// <summary>Why a job waits or runs where it does, as its origin region (the code that places it) sees it now.</summary>
/// <param name="JobId">The job.</param>
/// <param name="State">Its state now.</param>
/// <param name="Policy">The policy that ranks the feasible data centers.</param>
/// <param name="DataCenterId">Where it runs or ran; null while pending or queued.</param>
/// <param name="HubId">The region that answered: the job's origin hub.</param>
/// <param name="Reason">Why the job is where it is, in a sentence that agrees with its state.</param>
/// <param name="Ranked">Data centers feasible for it now in the region's view, best first.</param>
/// <param name="Excluded">Data centers ruled out now, with the constraint.</param>
public sealed record ExplanationView(
    string JobId,
    JobState State,
    PlacementPolicy Policy,
    string? DataCenterId,
    string HubId,
    string Reason,
    IReadOnlyList<RankedView> Ranked,
    IReadOnlyList<ExcludedView> Excluded)
{
    internal static ExplanationView Of(JobExplanation e) => new(
        e.Job.JobId,
        e.Job.State,
        e.Region.Policy,
        e.Job.State is JobState.Pending or JobState.Queued ? null : e.Job.Placement?.DataCenterId,
        e.Region.HubId,
        e.Region.Summary,
        [.. e.Region.Ranked.Select(r => new RankedView(r.DataCenterId, r.HubId, r.Score, r.LatencyMs, r.Utilisation, FootprintView.Of(r.Estimate), r.Route))],
        [.. e.Region.Excluded.Select(x => new ExcludedView(x.DataCenterId, x.HubId, x.Constraint, x.Detail))]);
}

/// <summary>The operators' <c>GET /v1/jobs/{jobId}/explain</c>: placement's view of any tenant's job.</summary>
public static class ExplainApi
{
    /// <summary>Maps the explain endpoint onto <paramref name="v1"/> (the <c>/v1</c> group); it answers 403 to partner keys.</summary>
    public static RouteGroupBuilder MapExplainApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/jobs/{jobId}/explain", ExplainAsync)
            .WithTags("Operators")
            .WithName("ExplainJob")
            .WithSummary("Explain a job's placement (operators)")
            .WithDescription("Answered by the job's origin region with the engine, view of the pool, loans and agent rules it places with: for every data center, the constraint that rules it out for the job, or its score under the job's policy (lower wins) and how the region reaches it.")
            .RequireAuthorization(ApiKeys.OperatorPolicy)
            .ProducesApiProblem(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        return v1;
    }

    private static async Task<Results<Ok<ExplanationView>, ProblemHttpResult>> ExplainAsync(
        string jobId, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        if (!JobRequest.IsValidJobId(jobId))
        {
            return NoJob();
        }

        try
        {
            return TypedResults.Ok(ExplanationView.Of(await grid.ExplainJobAsync(jobId, cancellationToken)));
        }
        catch (ComputeGridNotFoundException)
        {
            return NoJob();
        }
    }

    private static ProblemHttpResult NoJob() => Problems.NotFound("jobId", "no job with this id");
}
