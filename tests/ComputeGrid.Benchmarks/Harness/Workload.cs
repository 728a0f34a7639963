using ComputeGrid.Benchmarks.Floor;
using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Benchmarks.Harness;

/// <summary>The calls the scenarios measure: the floor's no-op and the SDK's submission.</summary>
public static class Workload
{
    /// <summary>The hubs jobs come from, round-robin.</summary>
    public static readonly string[] Hubs = ["bth", "yangtze", "gba", "chengyu", "inner-mongolia", "guizhou", "gansu", "ningxia"];

    /// <summary>Tenants jobs belong to, round-robin.</summary>
    public const int Tenants = 32;

    /// <summary>No-op grain calls spread over this many grains.</summary>
    public const int PingGrains = 1024;

    /// <summary>Runs the floor: <paramref name="operations"/> no-op calls through <paramref name="cluster"/>'s client.</summary>
    public static Task<RunResult> FloorAsync(BenchCluster cluster, int operations, int concurrency) =>
        LoadDriver.ClosedLoopAsync(operations, concurrency, i => cluster.Client.GetGrain<IPingGrain>(i % PingGrains).PingAsync(i));

    /// <summary>The persisted floor: every call a new grain that writes its state once (see <see cref="IRecordGrain"/>).</summary>
    public static Task<RunResult> PersistedFloorAsync(BenchCluster cluster, string run, int operations, int concurrency) =>
        LoadDriver.ClosedLoopAsync(operations, concurrency, i => cluster.Client.GetGrain<IRecordGrain>($"{run}-{i}").RecordAsync(i));

    /// <summary>A 1-core, 1 GiB, one-hour batch job that stays at home (policy Fastest): the pure placement path.</summary>
    public static JobRequest HomeJob(string run, int i) => new()
    {
        JobId = $"{run}-{i}",
        Tenant = $"tenant-{i % Tenants}",
        OriginHub = Hubs[i % Hubs.Length],
        CpuMillicores = 1_000,
        MemoryMiB = 1_024,
        RunTime = TimeSpan.FromHours(1),
        LatencyClass = LatencyClass.Batch,
        Policy = PlacementPolicy.Fastest,
    };

    /// <summary>Submits <paramref name="request"/> and fails unless it comes back Scheduled (placed at once).</summary>
    public static async Task SubmitScheduledAsync(IComputeGridClient grid, JobRequest request)
    {
        var job = await grid.SubmitAsync(request);
        if (job.State != JobState.Scheduled)
        {
            throw new InvalidOperationException($"{job.JobId} is {job.State}, not Scheduled");
        }
    }

    /// <summary>Closed-loop placement of <paramref name="operations"/> home jobs named after <paramref name="run"/>.</summary>
    public static Task<RunResult> PlacementAsync(BenchCluster cluster, string run, int operations, int concurrency) =>
        LoadDriver.ClosedLoopAsync(operations, concurrency, i => SubmitScheduledAsync(cluster.Grid, HomeJob(run, i)));

    /// <summary>
    /// Warms the placement path up until it is steady: batches of <paramref name="batch"/> placements until two in a row
    /// agree within 10% (at least three batches), or <paramref name="limit"/> has passed. A process's first seconds run
    /// cold code (JIT tiering and PGO still at work): on the 2-core machine the first cluster of a process placed at
    /// about half the rate of a later one. Returns each batch's rate.
    /// </summary>
    public static async Task<IReadOnlyList<double>> WarmUpPlacementAsync(BenchCluster cluster, string run, int batch, int concurrency, TimeSpan limit)
    {
        var rates = new List<double>();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) < limit)
        {
            rates.Add((await PlacementAsync(cluster, $"{run}{rates.Count}", batch, concurrency)).PerSecond);
            if (rates.Count >= 3 && Math.Abs(rates[^1] - rates[^2]) <= 0.1 * rates[^2])
            {
                break;
            }
        }

        return rates;
    }

    /// <summary>Open-loop placement at <paramref name="perSecond"/> for <paramref name="operations"/> jobs.</summary>
    public static Task<RunResult> PlacementAtRateAsync(BenchCluster cluster, string run, int operations, double perSecond) =>
        LoadDriver.OpenLoopAsync(operations, perSecond, i => SubmitScheduledAsync(cluster.Grid, HomeJob(run, i)));
}
