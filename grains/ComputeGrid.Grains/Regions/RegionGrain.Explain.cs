using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;

namespace ComputeGrid.Grains.Regions;

/// <summary>Explaining a job: the region's own view, loans and agent rules, through the domain's explainer.</summary>
internal sealed partial class RegionGrain
{
    public async Task<RegionExplanation> ExplainAsync(JobSnapshot job, CancellationToken cancellationToken = default)
    {
        var position = _queue.ContainsKey(job.JobId)
            ? QueueOrder().Select((q, i) => (q.JobId, i)).First(x => x.JobId == job.JobId).i + 1
            : (int?)null;
        var explained = PlacementExplainer.Explain(
            job.Spec,
            new ExplainedJob(job.State, job.Placement?.DataCenterId, position, _queue.Count, job.Placement?.LoanId),
            HubId,
            Topology,
            View.DataCenters,
            Loans.Rooms());
        var summary = explained.Summary;
        if (job.State == JobState.Queued
            && await WaitReasonAsync(job.JobId, job.Spec, [.. explained.Plan.Ranked.Where(r => r.HubId == HubId).Select(r => r.DataCenterId)], cancellationToken) is { } waits)
        {
            summary = QueueWaits.Summary(HubId, position, _queue.Count, waits, explained.Plan.Ranked.Count, explained.Plan.Ranked.Count + explained.Plan.Excluded.Count);
        }

        return new RegionExplanation(
            HubId,
            explained.Plan.Policy,
            PredictiveSummary(job) ?? summary,
            [.. explained.Plan.Ranked.Select(r => new ExplainedCandidate(r.DataCenterId, r.HubId, r.Score, r.LatencyMs, r.Utilisation, r.Estimate, explained.Routes[r.DataCenterId]))],
            [.. explained.Plan.Excluded.Select(x => new ExplainedExclusion(x.DataCenterId, x.HubId, x.Constraint, x.Detail))]);
    }
}
