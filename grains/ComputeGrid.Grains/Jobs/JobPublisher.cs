using ComputeGrid.Contracts;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Jobs;
using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace ComputeGrid.Grains.Jobs;

/// <summary>Tells the job's array and its watchers about steps the job has written.</summary>
internal static partial class JobPublisher
{
    /// <summary>
    /// The job's array gets the element's state, and the job's stream (when <paramref name="watched"/>) and the tenant's
    /// stream the events. Only for durable steps; the tenant's index is told by the job itself (JobGrain.Publish.cs).
    /// </summary>
    public static async Task PublishAsync(IGrainFactory grains, IStreamProvider streams, ILogger logger, JobSpec spec, JobSummary row, IReadOnlyList<JobEvent> events, bool watched)
    {
        if (spec.ArrayId is { } arrayId)
        {
            // One-way and interleaving at the array: it may be waiting on this very job's submission.
            await grains.GetGrain<IJobArrayGrain>(arrayId).OnElementChangedAsync(spec.ArrayIndex, row.State, (int)row.Version);
        }

        try
        {
            if (watched)
            {
                await streams.GetStream<JobEvent>(StreamId.Create(GridStreams.JobNamespace, row.JobId)).OnNextBatchAsync(events);
            }

            await streams.GetStream<JobEvent>(StreamId.Create(GridStreams.TenantNamespace, spec.Tenant)).OnNextBatchAsync(events);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or OrleansException)
        {
            // The transition is already durable and in the job's history; watchers resynchronise from it on a gap.
            LogPublishFailed(logger, row.JobId, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing events of job {JobId} failed; they stay in its history")]
    private static partial void LogPublishFailed(ILogger logger, string jobId, Exception exception);
}
