using ComputeGrid.Benchmarks.Harness;

namespace ComputeGrid.Benchmarks.Scenarios;

/// <summary>No-op grain calls through the SDK's client path: what Orleans itself does on this machine.</summary>
internal static class FloorScenario
{
    public static async Task RunAsync(BenchOptions options)
    {
        var report = new Report(options);
        var operations = options.Operations ?? (options.Quick ? 50_000 : 300_000);
        await using var cluster = await BenchCluster.StartAsync(BenchTopology.National(), StorageMode.Memory);
        await Workload.FloorAsync(cluster, operations / 5, options.Concurrency);
        var floor = await Workload.FloorAsync(cluster, operations, options.Concurrency);
        report.Add(new Row("floor: no-op grain calls", floor, Note: $"{options.Concurrency} callers, {Workload.PingGrains} grains"));
        await report.FinishAsync($"floor = {floor.PerSecond:F0} calls/s");
    }
}
