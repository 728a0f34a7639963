using System.Diagnostics;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Concurrency;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// Carries one origin hub's submissions on this silo to its region in batches. It is reentrant and keeps no state of its
/// own: a submission that arrives while a batch is with the region waits for the next batch, which leaves as soon as the
/// region answers the current one; a lone submission leaves at once. Each caller gets its own job's answer, or the
/// batch's failure (a retry is safe: placement is idempotent by job id). A retry of a submission still waiting joins it,
/// and submissions whose callers have given up are not sent (<see cref="PlacementQueue"/>).
/// </summary>
[StatelessWorker(1)]
[Reentrant]
internal sealed partial class PlacementBatcherGrain(IOptions<ComputeGridOptions> options, IOptions<SiloMessagingOptions> messaging, ILogger<PlacementBatcherGrain> logger) : Grain, IPlacementBatcherGrain
{
    private readonly PlacementQueue _waiting = new(messaging.Value.ResponseTimeout, Stopwatch.GetTimestamp);
    private bool _sending;

    public Task<PlaceResult> PlaceAsync(string jobId, JobSpec spec, CancellationToken cancellationToken = default)
    {
        var answer = _waiting.Add(jobId, spec);
        if (!_sending)
        {
            _ = SendAsync();
        }

        return answer;
    }

    private async Task SendAsync()
    {
        _sending = true;
        try
        {
            var region = GrainFactory.GetGrain<IRegionGrain>(this.GetPrimaryKeyString());
            while (_waiting.Count > 0)
            {
                var (batch, dropped) = _waiting.Take(options.Value.PlacementBatchSize);
                if (dropped > 0)
                {
                    LogDropped(logger, this.GetPrimaryKeyString(), dropped, messaging.Value.ResponseTimeout);
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                try
                {
                    var results = await region.PlaceBatchAsync([.. batch.Select(b => b.Ask)]);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Answer.TrySetResult(results[i]);
                    }
                }
                catch (Exception e)
                {
                    foreach (var entry in batch)
                    {
                        entry.Answer.TrySetException(e);
                    }
                }
            }
        }
        finally
        {
            _sending = false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement batcher of {HubId} dropped {Count} asks waiting longer than the response timeout ({Timeout}): their callers have given up")]
    private static partial void LogDropped(ILogger logger, string hubId, int count, TimeSpan timeout);
}
