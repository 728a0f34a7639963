using ComputeGrid.Contracts;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Jobs;
using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace ComputeGrid.Grains.Jobs;

/// <summary>Tells the job's tenant, its array and its watchers about steps the job has written.</summary>
internal static partial class JobPublisher
{
    /// <summary>
    /// The tenant's index gets the job's row (registered with its acceptance), its array the element's state, and the
    /// job's stream (when <paramref name="watched"/>) and the tenant's stream the events. Only for durable steps. The
    /// acceptance's listing is waited for at most <paramref name="listingWait"/> (<see cref="ListOrFollowAsync"/>).
    /// </summary>
    public static async Task PublishAsync(IGrainFactory grains, IStreamProvider streams, ILogger logger, JobSpec spec, JobSummary row, IReadOnlyList<JobEvent> events, bool watched, TimeSpan listingWait)
    {
        var tenant = grains.GetGrain<ITenantGrain>(spec.Tenant);
        if (events.Any(e => e.Sequence == 1))
        {
            // Acceptance: listed before the submission is acknowledged, so jobs submitted in turn are listed in turn.
            if (await ListOrFollowAsync(() => tenant.RegisterAsync(row), () => tenant.OnJobChangedAsync(row), listingWait) is { } failure)
            {
                // The job is durable already: its row comes with the one-way notice or with its next transition.
                LogRegisterFailed(logger, row.JobId, spec.Tenant, failure);
            }
        }
        else
        {
            await tenant.OnJobChangedAsync(row);
        }

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

    /// <summary>
    /// Lists a job (<paramref name="register"/>) and waits for it at most <paramref name="wait"/>; when the listing fails
    /// or takes longer, the row is sent again one-way (<paramref name="follow"/>, idempotent by version) and the caller
    /// goes on. Returns null when the listing answered in time, else why it did not. A listing left running is observed,
    /// so its late failure is nobody's unobserved exception.
    /// </summary>
    public static async Task<Exception?> ListOrFollowAsync(Func<Task> register, Func<Task> follow, TimeSpan wait)
    {
        var listing = register();
        try
        {
            await listing.WaitAsync(wait);
            return null;
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            _ = listing.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            await follow();
            return e;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listing job {JobId} in tenant {Tenant}'s index failed or outlasted the listing wait; its row follows one-way")]
    private static partial void LogRegisterFailed(ILogger logger, string jobId, string tenant, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing events of job {JobId} failed; they stay in its history")]
    private static partial void LogPublishFailed(ILogger logger, string jobId, Exception exception);
}
