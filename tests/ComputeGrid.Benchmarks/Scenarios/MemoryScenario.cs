using ComputeGrid.Benchmarks.Harness;
using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Benchmarks.Scenarios;

/// <summary>
/// Managed bytes per data center (registered through the admin SDK) and per queued job (everything the job costs the
/// process: its grain, its place in the region's queue, its tenant's index), from forced full collections before and after.
/// </summary>
internal static class MemoryScenario
{
    public const double TargetBytesPerQueuedJob = 8 * 1024;

    private const string Hub = "yangtze";

    public static async Task RunAsync(BenchOptions options)
    {
        var report = new Report(options);
        var dataCenters = options.Quick ? 200 : 1_000;
        var jobs = options.Operations ?? (options.Quick ? 5_000 : 20_000);

        // One data center per hub with room for one benchmark job, loans off: what does not fit at home waits in the home queue.
        var generated = BenchTopology.Generated(Workload.Hubs.Length, 1);
        var topology = new NationalTopology(
            generated.Hubs.Values,
            generated.DataCenters.Values.Select(d => d with { Capacity = ResourceVector.Of(1_500, 2_048) }),
            generated.Power,
            generated.Latency,
            generated.TransferCnyPerGiB,
            generated.Assumptions);
        await using var cluster = await BenchCluster.StartAsync(topology, StorageMode.Memory, loans: false);
        var grid = cluster.Grid;

        var before = Heap();
        for (var i = 0; i < dataCenters; i++)
        {
            var spec = new DataCenterSpec($"mem-dc-{i:D5}", $"Memory benchmark {i}", "gansu", new GeoPoint(39.5, 98.5), ResourceVector.Of(1_000, 1_024), new EnergyProfile(1.2, 0.5, 0.8, 0.4));
            await grid.Admin.RegisterDataCenterAsync(spec);
        }

        var perDataCenter = (Heap() - before) / (double)dataCenters;
        report.Add(new Row("managed bytes per data center", Value: perDataCenter, Unit: "B", Note: $"{dataCenters:N0} registered through the admin SDK"));

        // Fill the home data center so every benchmark job waits.
        await Workload.SubmitScheduledAsync(grid, Workload.HomeJob("filler", 0) with { OriginHub = Hub });

        before = Heap();
        var queued = await LoadDriver.ClosedLoopAsync(jobs, options.Concurrency, i => SubmitQueuedAsync(grid, i));
        var perJob = (Heap() - before) / (double)queued.Operations;
        report.Add(new Row("submit until Queued", queued, Note: $"{options.Concurrency} callers"));
        report.Add(new Row("managed bytes per queued job", Value: perJob, Unit: "B", Note: $"{queued.Operations:N0} queued in {Hub}; target <= {TargetBytesPerQueuedJob:N0} B"));
        await report.FinishAsync($"memory per queued job = {perJob / 1024:F2} KiB");
    }

    private static async Task SubmitQueuedAsync(IComputeGridClient grid, int i)
    {
        var job = await grid.SubmitAsync(Workload.HomeJob("queued", i) with { OriginHub = Hub });
        if (job.State != JobState.Queued)
        {
            throw new InvalidOperationException($"{job.JobId} is {job.State}, not Queued");
        }
    }

    private static long Heap()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
