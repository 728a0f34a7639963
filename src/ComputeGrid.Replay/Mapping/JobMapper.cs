using System.Text.RegularExpressions;
using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Mapping;

/// <summary>How trace jobs become ComputeGrid requests (tenants, origins, resources, latency class).</summary>
/// <param name="Origins">Which hub each user submits from.</param>
/// <param name="MemoryMiBPerCore">Memory for a job whose trace gives none, per requested core, MiB; default 4096 (the topology's 4 GiB per core).</param>
/// <param name="GpuModel">The GPU model trace GPUs map to when <see cref="GpuModels"/> does not say (the traces' own models are not in the national topology); default 910B.</param>
/// <param name="TenantPrefix">Tenants are <c>prefix-user</c>.</param>
public sealed partial record JobMapper(OriginRule Origins, long MemoryMiBPerCore = 4096, string GpuModel = "910B", string TenantPrefix = "trace")
{
    /// <summary>The longest run time ComputeGrid accepts; longer trace jobs are clamped to it (and counted).</summary>
    public static readonly TimeSpan MaxRunTime = TimeSpan.FromDays(30);

    /// <summary>How trace GPU models become topology models (from the trace's node list); null to map every GPU to <see cref="GpuModel"/>.</summary>
    public GpuModelRule? GpuModels { get; init; }

    /// <summary>The topology GPU model a trace job asks for; null for a job without GPUs.</summary>
    public string? GpuModelOf(TraceJob job) => job.Gpus == 0 ? null : GpuModels?.TopologyModelOf(job) ?? GpuModel;

    /// <summary>The origin hub of a trace job under <paramref name="topology"/>: by its origin key (else its user); a GPU job only from a hub with its model.</summary>
    public string OriginOf(TraceJob job, NationalTopology topology)
    {
        var key = job.OriginKey ?? job.User;
        return GpuModelOf(job) is { } model
            ? Origins.OriginOf(key, hub => topology.DataCentersOf(hub).Any(d => d.Capacity.GpusOf(model) >= job.Gpus))
            : Origins.OriginOf(key);
    }

    /// <summary>The request for job number <paramref name="index"/> of the trace under <paramref name="policy"/>.</summary>
    public JobRequest ToRequest(TraceJob job, int index, ReplayPolicy policy, NationalTopology topology, IReadOnlyList<string> hubs)
    {
        var origin = OriginOf(job, topology);
        var cores = Math.Max(1, (job.CpuMillicores + 999) / 1000);
        return new JobRequest
        {
            JobId = JobIdOf(job),
            Tenant = Sanitize($"{TenantPrefix}-{job.User}"),
            OriginHub = origin,
            CpuMillicores = job.CpuMillicores,
            MemoryMiB = job.MemoryMiB ?? cores * MemoryMiBPerCore,
            Gpus = job.Gpus,
            GpuModel = GpuModelOf(job),
            RunTime = job.RunTime > MaxRunTime ? MaxRunTime : job.RunTime,
            LatencyClass = job.LatencySensitive ? LatencyClass.Regional : LatencyClass.Batch,
            AllowedHubs = policy.AllowedHubs(index, origin, hubs),
            Policy = policy.Placement(),
        };
    }

    /// <summary>The ComputeGrid job id of a trace job.</summary>
    public string JobIdOf(TraceJob job) => Sanitize($"{TenantPrefix}-{job.Id}");

    /// <summary>The most one-way latency a class allows, ms; null for Batch.</summary>
    public static double? LatencyBoundMs(LatencyClass latencyClass) => latencyClass switch
    {
        LatencyClass.Interactive => 5,
        LatencyClass.Regional => 20,
        _ => null,
    };

    private static string Sanitize(string id) => IdChars().Replace(id, "_");

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex IdChars();
}
