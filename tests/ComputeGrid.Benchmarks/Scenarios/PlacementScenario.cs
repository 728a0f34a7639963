using ComputeGrid.Benchmarks.Harness;

namespace ComputeGrid.Benchmarks.Scenarios;

/// <summary>
/// Jobs submitted through the SDK until each is Scheduled (memory storage), against the floor measured in the same run;
/// then the latency at half the peak rate.
/// </summary>
internal static class PlacementScenario
{
    /// <summary>Issue 16's targets: placement at least as fast as a new grain with one write per job, p99 at half rate.</summary>
    public const double TargetRatio = 1.0;

    public const double TargetJobsPerSecond = 10_000;

    public const double TargetP99Ms = 20;

    public static async Task RunAsync(BenchOptions options)
    {
        var report = new Report(options);
        var ratio = await MeasureAsync(options, StorageMode.Memory, report, "placement");
        await report.FinishAsync($"placement/persisted floor = {ratio:F2}");
    }

    /// <summary>Floor, placement and half-rate placement on one cluster with <paramref name="storage"/>; returns placement/persisted floor.</summary>
    public static async Task<double> MeasureAsync(BenchOptions options, StorageMode storage, Report report, string name)
    {
        var jobs = options.Operations ?? (options.Quick ? 5_000 : 40_000);
        var floorCalls = options.Quick ? 30_000 : 200_000;
        if (storage != StorageMode.Memory)
        {
            jobs = options.Operations ?? (options.Quick ? 1_000 : 5_000);
        }

        // The persisted floor on a cluster of its own (same process, same storage), so that neither measurement runs
        // among the other's thousands of live activations.
        RunResult persisted;
        await using (var own = await BenchCluster.StartAsync(BenchTopology.NationalScaled(1_000), storage))
        {
            await Workload.PersistedFloorAsync(own, "warm", Math.Max(200, jobs / 5), options.Concurrency);
            persisted = await Workload.PersistedFloorAsync(own, "floor", jobs, options.Concurrency);
        }

        await using var cluster = await BenchCluster.StartAsync(BenchTopology.NationalScaled(1_000), storage);

        // Warm up both paths (activations, JIT, connections) before anything is measured.
        await Workload.FloorAsync(cluster, floorCalls / 5, options.Concurrency);
        var warm = await Workload.WarmUpPlacementAsync(cluster, "warm", Math.Max(200, jobs / 10), options.Concurrency, TimeSpan.FromSeconds(options.Quick ? 20 : 60));
        report.Add(new Row("warm-up placement batches", Value: warm.Count, Note: $"jobs/s: {string.Join(", ", warm.Select(r => r.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))}"));

        var floor = await Workload.FloorAsync(cluster, floorCalls, options.Concurrency);
        report.Add(new Row("floor: no-op grain calls", floor, Note: $"{options.Concurrency} callers"));
        report.Add(new Row("persisted floor: new grain, one write", persisted, Note: $"{options.Concurrency} callers, {storage} storage, a cluster of its own"));
        var writesBefore = cluster.Writes.Snapshot();
        var placement = await Workload.PlacementAsync(cluster, "peak", jobs, options.Concurrency);
        var writes = WriteCounter.Between(writesBefore, cluster.Writes.Snapshot());
        report.Add(new Row($"{name}: submit until Scheduled", placement, Note: $"{options.Concurrency} callers, {storage} storage, policy Fastest, 8 origin hubs"));
        report.Add(new Row(
            $"{name}: storage writes per job",
            Value: writes.Values.Sum() / (double)jobs,
            Note: string.Join(", ", writes.Where(w => w.Value > 0).OrderByDescending(w => w.Value).Select(w => $"{w.Key} {w.Value / (double)jobs:F2}"))));
        var half = placement.PerSecond / 2;
        var paced = await Workload.PlacementAtRateAsync(cluster, "half", (int)Math.Max(100, half * (options.Quick ? 3 : 10)), half);
        report.Add(new Row($"{name} at half the peak rate", paced, Note: $"open loop at {half:F0} jobs/s; latency from each job's scheduled start"));

        var ratio = placement.PerSecond / persisted.PerSecond;
        report.Add(new Row("persisted floor/floor", Value: persisted.PerSecond / floor.PerSecond, Note: "what activating and persisting a grain per job costs alone"));
        report.Add(new Row($"{name}/persisted floor", Value: ratio, Note: $"placement against a new grain with one write per job; target >= {TargetRatio:F2}"));
        report.Add(new Row($"{name}/floor", Value: placement.PerSecond / floor.PerSecond, Note: "against no-op calls"));
        report.Add(new Row($"{name} jobs/s vs target", Value: placement.PerSecond / TargetJobsPerSecond, Note: $"target >= {TargetJobsPerSecond:N0} jobs/s"));
        report.Add(new Row($"{name} p99 at half rate vs target", Value: paced.P99Ms / TargetP99Ms, Note: $"target p99 < {TargetP99Ms} ms"));
        return ratio;
    }
}
