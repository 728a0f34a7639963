using ComputeGrid.Benchmarks.Harness;

namespace ComputeGrid.Benchmarks.Scenarios;

/// <summary>Placement throughput and latency with 10, 100, 1,000 and 10,000 data centers (spread over the 8 hubs).</summary>
internal static class ScaleScenario
{
    private static readonly int[] Sizes = [10, 100, 1_000, 10_000];

    public static async Task RunAsync(BenchOptions options)
    {
        var report = new Report(options);
        var jobs = options.Operations ?? (options.Quick ? 2_000 : 20_000);
        var results = new Dictionary<int, RunResult>();
        foreach (var size in Sizes)
        {
            await using var cluster = await BenchCluster.StartAsync(BenchTopology.Generated(size, 1_000), StorageMode.Memory);
            await Workload.PlacementAsync(cluster, "warm", jobs / 10, options.Concurrency);
            var run = await Workload.PlacementAsync(cluster, "scale", jobs, options.Concurrency);
            results[size] = run;
            report.Add(new Row($"placement with {size:N0} data centers", run, Note: $"{options.Concurrency} callers"));
        }

        var ratio = results[Sizes[^1]].PerSecond / results[Sizes[0]].PerSecond;
        report.Add(new Row($"{Sizes[^1]:N0}/{Sizes[0]} data centers", Value: ratio, Note: "target >= 0.70"));
        await report.FinishAsync($"scale {Sizes[^1]}/{Sizes[0]} = {ratio:F2}");
    }
}
