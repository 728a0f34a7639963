using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// Carries one origin hub's submissions on this silo to its region in batches. It is reentrant and keeps no state of its
/// own: a submission that arrives while a batch is with the region waits for the next batch, which leaves as soon as the
/// region answers the current one; a lone submission leaves at once. Each caller gets its own job's answer, or the
/// batch's failure (a retry is safe: placement is idempotent by job id).
/// </summary>
[StatelessWorker(1)]
[Reentrant]
internal sealed class PlacementBatcherGrain(IOptions<ComputeGridOptions> options) : Grain, IPlacementBatcherGrain
{
    private readonly List<(PlaceAsk Ask, TaskCompletionSource<PlaceResult> Answer)> _waiting = [];
    private bool _sending;

    public Task<PlaceResult> PlaceAsync(string jobId, JobSpec spec, CancellationToken cancellationToken = default)
    {
        var answer = new TaskCompletionSource<PlaceResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting.Add((new PlaceAsk(jobId, spec), answer));
        if (!_sending)
        {
            _ = SendAsync();
        }

        return answer.Task;
    }

    private async Task SendAsync()
    {
        _sending = true;
        try
        {
            var region = GrainFactory.GetGrain<IRegionGrain>(this.GetPrimaryKeyString());
            while (_waiting.Count > 0)
            {
                var size = Math.Min(_waiting.Count, options.Value.PlacementBatchSize);
                var batch = _waiting.GetRange(0, size);
                _waiting.RemoveRange(0, size);
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
                    foreach (var (_, answer) in batch)
                    {
                        answer.TrySetException(e);
                    }
                }
            }
        }
        finally
        {
            _sending = false;
        }
    }
}
