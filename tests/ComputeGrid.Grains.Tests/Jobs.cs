using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Tests;

/// <summary>Builds job requests for tests and counts how they stand.</summary>
internal static class Jobs
{
    private static long _next;

    public static string NewId(string prefix = "job") => $"{prefix}-{Interlocked.Increment(ref _next)}-{Guid.NewGuid():n}";

    /// <summary>A 4-core batch job; policy Fastest keeps it in its origin hub, other policies may send it to a peer under a loan.</summary>
    public static JobRequest Batch(string tenant, string origin = "yangtze", PlacementPolicy policy = PlacementPolicy.Fastest, string? id = null) => new()
    {
        JobId = id ?? NewId(),
        Tenant = tenant,
        OriginHub = origin,
        CpuMillicores = 4000,
        MemoryMiB = 8192,
        RunTime = TimeSpan.FromHours(1),
        LatencyClass = LatencyClass.Batch,
        Policy = policy,
    };

    public static JobRequest OnGpu(string tenant, string gpuModel, string origin, TimeSpan runTime, string? id = null, int priority = 100) => new()
    {
        JobId = id ?? NewId(),
        Tenant = tenant,
        OriginHub = origin,
        CpuMillicores = 1000,
        MemoryMiB = 1024,
        Gpus = 1,
        GpuModel = gpuModel,
        RunTime = runTime,
        Priority = priority,
        Policy = PlacementPolicy.Balanced,
    };

    /// <summary>How many of <paramref name="requests"/> are in one of <paramref name="states"/> now (each read once, concurrently).</summary>
    public static async Task<int> CountAsync(this IComputeGridClient grid, IEnumerable<JobRequest> requests, params JobState[] states)
    {
        var jobs = await Task.WhenAll(requests.Select(r => grid.GetJobAsync(r.JobId!)));
        return jobs.Count(j => states.Contains(j.State));
    }
}
