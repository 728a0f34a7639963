using ComputeGrid.Benchmarks.Harness;
using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Benchmarks.Scenarios;

/// <summary>
/// A loan's negotiation round trip: a Greenest batch job from yangtze, whose greenest place is Gui'an, from submission
/// until it is Scheduled under a loan from guizhou (ask, offer, accept, reserve). One job at a time, each needing a new loan.
/// </summary>
internal static class LoansScenario
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(BenchOptions options)
    {
        var report = new Report(options);
        var rounds = options.Operations ?? (options.Quick ? 20 : 100);
        await using var cluster = await BenchCluster.StartAsync(BenchTopology.National(), StorageMode.Memory);
        await RoundTripAsync(cluster.Grid, "loan-warm-0");
        var run = await LoadDriver.ClosedLoopAsync(rounds, 1, i => RoundTripAsync(cluster.Grid, $"loan-{i}"));
        report.Add(new Row("loan round trip: submit until Scheduled on a loan", run, Note: "yangtze borrows from guizhou, one job at a time"));
        await report.FinishAsync($"loan round trip p50 = {run.P50Ms:F1} ms, p99 = {run.P99Ms:F1} ms");
    }

    private static async Task RoundTripAsync(IComputeGridClient grid, string jobId)
    {
        var job = await grid.SubmitAsync(new JobRequest
        {
            JobId = jobId,
            Tenant = "loans",
            OriginHub = "yangtze",
            CpuMillicores = 4_000,
            MemoryMiB = 8_192,
            RunTime = TimeSpan.FromHours(1),
            LatencyClass = LatencyClass.Batch,
            Policy = PlacementPolicy.Greenest,
        });
        var deadline = DateTime.UtcNow + Deadline;
        while (job.State != JobState.Scheduled && job.State != JobState.Running)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{jobId} was not placed within {Deadline}: {job.State}");
            }

            await Task.Delay(1);
            job = await grid.GetJobAsync(jobId);
        }

        if (job.Placement is not { LoanId: not null, HubId: "guizhou" })
        {
            throw new InvalidOperationException($"{jobId} was placed in {job.Placement?.HubId} without a loan from guizhou");
        }
    }
}
