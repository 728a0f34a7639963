using System.Diagnostics;
using System.Globalization;
using ComputeGrid.Benchmarks.Harness;
using ComputeGrid.Client;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Benchmarks.Scenarios;

/// <summary>
/// Job arrays submitted through the SDK, one per origin hub, timed from the first submission until every element is
/// Scheduled (or further), with memory storage and on a private Azurite, each against the floors measured on the same
/// storage in the same run; then the managed memory per queued job and per queued array element.
/// </summary>
internal static class ArraysScenario
{
    /// <summary>Issue 16's targets for arrays.</summary>
    public const double TargetMemoryJobsPerSecond = 10_000;

    public const double TargetAzureJobsPerSecond = 2_000;

    public const double TargetBytesPerQueuedJob = 8 * 1024;

    public const double TargetBytesPerQueuedElement = 1024;

    private const string MemoryHub = "yangtze";

    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    public static async Task RunAsync(BenchOptions options)
    {
        var report = new Report(options);
        var memory = await MeasureAsync(options, StorageMode.Memory, report, options.Operations ?? (options.Quick ? 40_000 : 200_000));
        double azure;
        await using (var azurite = await Azurite.StartAsync(BenchOptions.RepositoryRoot()))
        {
            azure = await MeasureAsync(options, new StorageMode(azurite.ConnectionString), report, options.Operations is { } n ? Math.Max(8, n / 5) : options.Quick ? 8_000 : 40_000);
        }

        await MeasureMemoryAsync(options, report);
        await report.FinishAsync(string.Create(CultureInfo.InvariantCulture, $"arrays jobs/s = {memory:F0} (memory), {azure:F0} (azurite)"));
    }

    /// <summary>The floors, then <paramref name="elements"/> elements in one array per hub until all are Scheduled; returns jobs/s.</summary>
    private static async Task<double> MeasureAsync(BenchOptions options, StorageMode storage, Report report, int elements)
    {
        var floorCalls = options.Quick ? 30_000 : 200_000;
        var records = storage == StorageMode.Memory ? (options.Quick ? 5_000 : 40_000) : (options.Quick ? 1_000 : 5_000);
        RunResult persisted;
        await using (var own = await BenchCluster.StartAsync(BenchTopology.NationalScaled(1_000), storage))
        {
            await Workload.PersistedFloorAsync(own, "warm", Math.Max(200, records / 5), options.Concurrency);
            persisted = await Workload.PersistedFloorAsync(own, "floor", records, options.Concurrency);
        }

        await using var cluster = await BenchCluster.StartAsync(BenchTopology.NationalScaled(1_000), storage);
        await Workload.FloorAsync(cluster, floorCalls / 5, options.Concurrency);
        var floor = await Workload.FloorAsync(cluster, floorCalls, options.Concurrency);
        report.Add(new Row($"floor: no-op grain calls ({storage})", floor, Note: $"{options.Concurrency} callers"));
        report.Add(new Row($"persisted floor: new grain, one write ({storage})", persisted, Note: $"{options.Concurrency} callers, a cluster of its own"));

        // Warm the array path up (JIT, activations of regions and data centers) with a small run first.
        await ScheduleArraysAsync(cluster, "warm", Math.Max(Workload.Hubs.Length, elements / 10));
        var writesBefore = cluster.Writes.Snapshot();
        var (seconds, count) = await ScheduleArraysAsync(cluster, "peak", elements);
        var writes = WriteCounter.Between(writesBefore, cluster.Writes.Snapshot());
        var perSecond = count / seconds;
        var target = storage == StorageMode.Memory ? TargetMemoryJobsPerSecond : TargetAzureJobsPerSecond;
        report.Add(new Row($"arrays ({storage}): submit until every element is Scheduled", Value: perSecond, Unit: "jobs/s",
            Note: string.Create(CultureInfo.InvariantCulture, $"{Workload.Hubs.Length} arrays of {count / Workload.Hubs.Length:N0} in {seconds:F2} s; target >= {target:N0} jobs/s")));
        report.Add(new Row(
            $"arrays ({storage}): storage writes per element",
            Value: writes.Values.Sum() / (double)count,
            Note: string.Join(", ", writes.Where(w => w.Value > 0).OrderByDescending(w => w.Value).Select(w => string.Create(CultureInfo.InvariantCulture, $"{w.Key} {w.Value / (double)count:F3}")))));
        report.Add(new Row($"arrays ({storage})/persisted floor", Value: perSecond / persisted.PerSecond, Note: "elements placed against a new grain with one write per job"));
        report.Add(new Row($"arrays ({storage})/floor", Value: perSecond / floor.PerSecond, Note: "elements placed against no-op calls"));
        return perSecond;
    }

    /// <summary>One array per hub, <paramref name="elements"/> elements in all, submitted at once; the time until every element is Scheduled.</summary>
    private static async Task<(double Seconds, int Count)> ScheduleArraysAsync(BenchCluster cluster, string run, int elements)
    {
        var size = Math.Max(1, elements / Workload.Hubs.Length);
        var clock = Stopwatch.StartNew();
        var arrays = await Task.WhenAll(Workload.Hubs.Select((hub, h) => cluster.Grid.SubmitArrayAsync(new JobArrayRequest
        {
            ArrayId = $"{run}-{hub}",
            Template = Workload.HomeJob(run, h) with { JobId = null, OriginHub = hub },
            Count = size,
        })));
        await Task.WhenAll(arrays.Select(a => UntilAsync(cluster.Grid, a.ArrayId, s => Placed(s) == s.Count)));
        clock.Stop();
        return (clock.Elapsed.TotalSeconds, size * arrays.Length);
    }

    /// <summary>Managed bytes per queued single job and per queued array element, everything counted (grains, queues, storage).</summary>
    private static async Task MeasureMemoryAsync(BenchOptions options, Report report)
    {
        var jobs = options.Quick ? 5_000 : 20_000;
        var elements = options.Quick ? 20_000 : 100_000;

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
        await Workload.SubmitScheduledAsync(grid, Workload.HomeJob("filler", 0) with { OriginHub = MemoryHub });

        // The arrays first: the single jobs below leave activations that are collected later and would blur their figure.
        // The figure is marginal: a first array warms every path an array takes (its grain, the region's queue, the
        // storage grains and their buffers) and the heap is measured between it and a second of the same size, so what
        // the process frees or grows once (JIT, pools, the filler's activations) is not charged to the elements.
        await QueueArrayAsync(grid, "queued-array-warm", elements);
        var before = Heap();
        await QueueArrayAsync(grid, "queued-array", elements);
        var perElement = (Heap() - before) / (double)elements;
        report.Add(new Row("managed bytes per queued array element", Value: perElement, Unit: "B", Note: $"a second array of {elements:N0} queued in {MemoryHub} after a first of the same size; target <= {TargetBytesPerQueuedElement:N0} B"));

        before = Heap();
        var queued = await LoadDriver.ClosedLoopAsync(jobs, options.Concurrency, async i =>
        {
            var job = await grid.SubmitAsync(Workload.HomeJob("queued", i) with { OriginHub = MemoryHub });
            if (job.State != JobState.Queued)
            {
                throw new InvalidOperationException($"{job.JobId} is {job.State}, not Queued");
            }
        });
        var perJob = (Heap() - before) / (double)queued.Operations;
        report.Add(new Row("managed bytes per queued job", Value: perJob, Unit: "B", Note: $"{queued.Operations:N0} single jobs queued in {MemoryHub}; target <= {TargetBytesPerQueuedJob:N0} B"));
    }

    private static async Task QueueArrayAsync(IComputeGridClient grid, string arrayId, int elements)
    {
        var array = await grid.SubmitArrayAsync(new JobArrayRequest
        {
            ArrayId = arrayId,
            Template = Workload.HomeJob(arrayId, 0) with { JobId = null, OriginHub = MemoryHub },
            Count = elements,
        });
        await UntilAsync(grid, array.ArrayId, s => s.Counts.GetValueOrDefault(JobState.Queued) == s.Count);
    }

    private static int Placed(JobArraySnapshot s) =>
        s.Counts.GetValueOrDefault(JobState.Scheduled) + s.Counts.GetValueOrDefault(JobState.Running) + s.Counts.GetValueOrDefault(JobState.Succeeded);

    private static async Task UntilAsync(IComputeGridClient grid, string arrayId, Func<JobArraySnapshot, bool> done)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var now = await grid.GetArrayAsync(arrayId);
            if (done(now))
            {
                return;
            }

            if (now.Counts.GetValueOrDefault(JobState.Failed) + now.Counts.GetValueOrDefault(JobState.Cancelled) > 0 || deadline.Elapsed > Deadline)
            {
                throw new InvalidOperationException($"array {arrayId} stuck: {string.Join(", ", now.Counts.Where(c => c.Value > 0).Select(c => $"{c.Key} {c.Value}"))}");
            }

            await Task.Delay(10);
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
