using ComputeGrid.Benchmarks.Harness;

namespace ComputeGrid.Benchmarks.Scenarios;

/// <summary>
/// Placement throughput and latency with 10, 100, 1,000 and 10,000 data centers (spread over the 8 hubs). The first
/// cluster of a process runs cold (JIT tiering and PGO are still at work), so the smallest size is measured again last
/// and the headline compares 10,000 with that warm run of 10.
/// </summary>
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
            results[size] = await MeasureAsync(size, jobs, options, report, string.Empty);
        }

        var warm = await MeasureAsync(Sizes[0], jobs, options, report, " (again, warm)");
        var ratio = results[Sizes[^1]].PerSecond / warm.PerSecond;
        report.Add(new Row($"{Sizes[^1]:N0}/{Sizes[0]} data centers", Value: ratio, Note: $"against the warm run of {Sizes[0]}; target >= 0.70"));
        report.Add(new Row($"{Sizes[^1]:N0}/{Sizes[0]} data centers, cold", Value: results[Sizes[^1]].PerSecond / results[Sizes[0]].PerSecond, Note: $"against the first run of {Sizes[0]}"));
        await report.FinishAsync($"scale {Sizes[^1]}/{Sizes[0]} = {ratio:F2}");
    }

    private static async Task<RunResult> MeasureAsync(int size, int jobs, BenchOptions options, Report report, string label)
    {
        await using var cluster = await BenchCluster.StartAsync(BenchTopology.Generated(size, 1_000), StorageMode.Memory);
        await Workload.WarmUpPlacementAsync(cluster, "warm", Math.Max(200, jobs / 10), options.Concurrency, TimeSpan.FromSeconds(options.Quick ? 10 : 30));
        var run = await Workload.PlacementAsync(cluster, "scale", jobs, options.Concurrency);
        report.Add(new Row($"placement with {size:N0} data centers{label}", run, Note: $"{options.Concurrency} callers"));
        return run;
    }
}
