using System.Diagnostics;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Grains.Regions;

namespace ComputeGrid.Grains.Tests;

/// <summary>
/// What a placement batcher sends its region (<see cref="PlacementQueue"/>): one ask per job, and none whose callers
/// have all given up, so a region that fell behind is not kept behind by retries and abandoned asks.
/// </summary>
public sealed class PlacementQueueTests
{
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(10);
    private long _now = 1_000_000;

    private PlacementQueue NewQueue() => new(ResponseTimeout, () => _now);

    private void Advance(TimeSpan by) => _now += (long)(by.TotalSeconds * Stopwatch.Frequency);

    private static Domain.Jobs.JobSpec Spec(string id) => Jobs.OnGpu("pq", "PQ", "gansu", TimeSpan.FromMinutes(5), id).ToSpec();

    [Fact]
    public async Task A_retry_of_a_submission_still_waiting_joins_it_and_both_callers_get_the_one_answer()
    {
        var queue = NewQueue();
        var first = queue.Add("job-a", Spec("job-a"));
        var retry = queue.Add("job-a", Spec("job-a"));

        var (batch, dropped) = queue.Take(10);

        Assert.Equal(0, dropped);
        Assert.Equal(["job-a"], batch.Select(e => e.Ask.JobId));
        var answer = new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, []);
        batch[0].Answer.TrySetResult(answer);
        Assert.Same(answer, await first);
        Assert.Same(answer, await retry);
    }

    [Fact]
    public async Task Asks_older_than_the_response_timeout_are_dropped_cancelled_and_the_fresh_ones_go_in_arrival_order()
    {
        var queue = NewQueue();
        var abandoned = queue.Add("job-old", Spec("job-old"));
        Advance(TimeSpan.FromSeconds(8));
        _ = queue.Add("job-b", Spec("job-b"));
        _ = queue.Add("job-c", Spec("job-c"));
        Advance(TimeSpan.FromSeconds(3));

        var (batch, dropped) = queue.Take(10);

        Assert.Equal(1, dropped);
        Assert.Equal(["job-b", "job-c"], batch.Select(e => e.Ask.JobId));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void A_retry_keeps_its_waiting_ask_alive_past_the_first_callers_timeout()
    {
        var queue = NewQueue();
        queue.Add("job-a", Spec("job-a"));
        Advance(TimeSpan.FromSeconds(9));
        queue.Add("job-a", Spec("job-a"));
        Advance(TimeSpan.FromSeconds(9));

        var (batch, dropped) = queue.Take(10);

        Assert.Equal(0, dropped);
        Assert.Equal(["job-a"], batch.Select(e => e.Ask.JobId));
    }

    [Fact]
    public void A_batch_takes_at_most_the_batch_size_and_the_rest_wait_in_order_for_the_next()
    {
        var queue = NewQueue();
        foreach (var id in new[] { "j1", "j2", "j3", "j4", "j5" })
        {
            queue.Add(id, Spec(id));
        }

        var (first, _) = queue.Take(2);
        var (second, _) = queue.Take(2);
        var (third, _) = queue.Take(2);

        Assert.Equal(["j1", "j2"], first.Select(e => e.Ask.JobId));
        Assert.Equal(["j3", "j4"], second.Select(e => e.Ask.JobId));
        Assert.Equal(["j5"], third.Select(e => e.Ask.JobId));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void A_job_asked_again_after_its_ask_left_in_a_batch_gets_a_new_ask()
    {
        var queue = NewQueue();
        queue.Add("job-a", Spec("job-a"));
        var (first, _) = queue.Take(10);

        var again = queue.Add("job-a", Spec("job-a"));
        var (second, _) = queue.Take(10);

        Assert.Single(first);
        Assert.Single(second);
        Assert.NotSame(first[0], second[0]);
        Assert.False(again.IsCompleted);
    }
}
