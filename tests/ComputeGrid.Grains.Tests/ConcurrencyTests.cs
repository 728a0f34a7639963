using System.Collections.Concurrent;
using ComputeGrid.Client;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class ConcurrencyTests(GridClusterFixture fixture)
{
    private const int Submissions = 1000;
    private const int Gpus = 20;

    private IComputeGridClient Grid => fixture.Grid;

    [Fact]
    public async Task A_thousand_concurrent_submissions_racing_for_one_small_data_center_never_overcommit_it_and_every_job_is_accounted_for()
    {
        var spec = await fixture.RegisterPrivateDataCenterAsync("race-dc", "gansu", "RACE", gpus: Gpus, cores: 40);
        var observations = new ConcurrentBag<DataCenterSnapshot>();
        using var stop = new CancellationTokenSource();
        var observer = Task.Run(async () =>
        {
            var dc = fixture.Cluster.Client.GetGrain<Contracts.IDataCenterGrain>("race-dc");
            while (!stop.IsCancellationRequested)
            {
                observations.Add((await dc.GetSnapshotAsync())!);
            }
        });

        var requests = Enumerable.Range(0, Submissions).Select(i => Jobs.OnGpu($"race-{i % 7}", "RACE", "gansu", TimeSpan.FromHours(1))).ToList();
        var submitted = await Task.WhenAll(requests.Select(r => Task.Run(() => Grid.SubmitAsync(r))));

        Assert.Equal(Submissions, submitted.Select(j => j.JobId).Distinct().Count());
        Assert.Equal(Gpus, submitted.Count(j => j.State == JobState.Scheduled));
        Assert.Equal(Submissions - Gpus, submitted.Count(j => j.State == JobState.Queued));

        // Drive every job to its end: each hour of federation time finishes the running batch and places the next.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        var succeeded = 0;
        while (succeeded < Submissions)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {succeeded} of {Submissions} jobs succeeded in time");
            var expectedRunning = Math.Min(Gpus, Submissions - succeeded);
            try
            {
                // The batch may already have ended (then the next check sees the successes): progress either way.
                await Eventually.TrueAsync(
                    async () => await Grid.CountAsync(requests, JobState.Running) == expectedRunning || await Grid.CountAsync(requests, JobState.Succeeded) > succeeded,
                    $"{expectedRunning} jobs run",
                    TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message} States: {await DescribeAsync(requests)}", e);
            }

            fixture.Time.Advance(TimeSpan.FromHours(1));
            var before = succeeded;
            await Eventually.TrueAsync(async () => (succeeded = await Grid.CountAsync(requests, JobState.Succeeded)) > before, "a batch finishes", TimeSpan.FromSeconds(60));
        }

        await stop.CancelAsync();
        await observer;
        Assert.NotEmpty(observations);
        Assert.All(observations, o => Assert.True(o.Used.IsWithin(spec.Capacity), $"over-committed: used {o.Used} of {spec.Capacity}"));
        Assert.All(observations, o => Assert.True(o.Used.GpusOf("RACE") <= Gpus));
        var final = (await fixture.Cluster.Client.GetGrain<Contracts.IDataCenterGrain>("race-dc").GetSnapshotAsync())!;
        Assert.Equal(0, final.Reservations);
        Assert.Equal(Submissions, final.JobsFinished);
        foreach (var request in requests)
        {
            var job = await Grid.GetJobAsync(request.JobId!);
            Assert.Equal(JobState.Succeeded, job.State);
            Assert.Single(job.History, e => e.State == JobState.Running);
        }
    }

    private async Task<string> DescribeAsync(IEnumerable<JobRequest> requests)
    {
        var jobs = await Task.WhenAll(requests.Select(r => Grid.GetJobAsync(r.JobId!)));
        var queue = await fixture.Cluster.Client.GetGrain<Contracts.IRegionGrain>("gansu").GetQueueAsync();
        var dc = await fixture.Cluster.Client.GetGrain<Contracts.IDataCenterGrain>("race-dc").GetSnapshotAsync();
        return string.Join(", ", jobs.GroupBy(j => j.State).Select(g => $"{g.Key}={g.Count()}"))
            + $"; queue={queue.Count}; reservations={dc!.Reservations}; free={dc.Free}; stuck: "
            + string.Join(" | ", jobs.Where(j => !j.State.IsTerminal()).Take(5).Select(j => $"{j.JobId} {j.State} {string.Join(">", j.History.Select(h => h.State))}"));
    }
}
