using System.Diagnostics;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// The submissions a placement batcher holds for its next batch. One entry per job: a retry of a submission still
/// waiting joins it (both callers get the one answer) instead of asking the region twice. An entry whose callers have
/// all given up (older than the response timeout, after which their calls failed and nobody reads the answer) is dropped
/// when the next batch is taken, so a region that fell behind is not kept behind by placing asks nobody waits for.
/// </summary>
/// <param name="giveUpAfter">How long a caller waits for its answer: the silo's response timeout.</param>
/// <param name="timestamp">A monotonic clock in <see cref="Stopwatch"/> ticks (the response timeout is wall-clock time).</param>
internal sealed class PlacementQueue(TimeSpan giveUpAfter, Func<long> timestamp)
{
    private readonly List<Entry> _waiting = [];
    private readonly Dictionary<string, Entry> _byJob = new(StringComparer.Ordinal);

    /// <summary>Entries waiting for a batch.</summary>
    public int Count => _waiting.Count;

    /// <summary>Adds a submission (or joins the waiting one of the same job, which then counts as asked now) and returns its answer.</summary>
    public Task<PlaceResult> Add(string jobId, JobSpec spec)
    {
        if (_byJob.TryGetValue(jobId, out var waiting))
        {
            waiting.Asked = timestamp();
            return waiting.Answer.Task;
        }

        var entry = new Entry(new PlaceAsk(jobId, spec), timestamp());
        _waiting.Add(entry);
        _byJob[jobId] = entry;
        return entry.Answer.Task;
    }

    /// <summary>
    /// Takes up to <paramref name="max"/> entries for the next batch, in arrival order, after dropping (cancelled: the
    /// callers are gone) those asked longer ago than the response timeout. Returns the batch and how many were dropped.
    /// </summary>
    public (IReadOnlyList<Entry> Batch, int Dropped) Take(int max)
    {
        var now = timestamp();
        var dropped = 0;
        var batch = new List<Entry>(Math.Min(max, _waiting.Count));
        var rest = new List<Entry>();
        foreach (var entry in _waiting)
        {
            if (Stopwatch.GetElapsedTime(entry.Asked, now) > giveUpAfter)
            {
                _byJob.Remove(entry.Ask.JobId);
                entry.Answer.TrySetCanceled();
                dropped++;
            }
            else if (batch.Count < max)
            {
                _byJob.Remove(entry.Ask.JobId);
                batch.Add(entry);
            }
            else
            {
                rest.Add(entry);
            }
        }

        _waiting.Clear();
        _waiting.AddRange(rest);
        return (batch, dropped);
    }

    /// <summary>One job's submission waiting for a batch, and its answer.</summary>
    internal sealed class Entry(PlaceAsk ask, long asked)
    {
        public PlaceAsk Ask { get; } = ask;

        public long Asked { get; set; } = asked;

        public TaskCompletionSource<PlaceResult> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
